#!/usr/bin/env bash
# Installs the servers the cluster test suite (tests/cluster) starts on loopback, only those
# missing: redis-server, PostgreSQL 15 and nginx, all Debian 12 packages. Idempotent and
# silent when nothing is missing. The suite runs them from temporary directories on
# ephemeral ports; it never uses the system services these packages may have started.
set -euo pipefail

have_pg() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/initdb" && -x "$d/postgres" ]] && return 0
  done
  return 1
}
have() { command -v "$1" >/dev/null 2>&1 || [[ -x "/usr/sbin/$1" ]]; }

missing=()
have redis-server || missing+=(redis-server)
have_pg || missing+=(postgresql-15)
have nginx || missing+=(nginx)
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
log=/tmp/parley-cluster-apt.log
if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
  $sudo apt-get update -q >>"$log" 2>&1
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$log" 2>&1 \
    || { tail -20 "$log"; exit 1; }
fi
