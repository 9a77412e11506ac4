#!/usr/bin/env bash
# Installs clang-14 and its runtime (the fuzzers and the thread-safety build use them) when
# missing. Quiet and idempotent.
set -euo pipefail
missing=()
for p in clang-14 libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "installing: ${missing[*]}"
sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/parley-clang-apt.log 2>&1 \
  || { tail -20 /tmp/parley-clang-apt.log; exit 1; }
