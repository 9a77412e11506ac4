#!/usr/bin/env bash
# Installs the Debian packages the web client needs, only those missing; silent when nothing is.
#   scripts/web-deps.sh            Node.js and npm (to build web/ and clients/js)
#   scripts/web-deps.sh --browser  also Chromium and a font, for the end-to-end tests
# npm packages come from the committed package-lock.json files (npm ci, run by the Makefile).
# Never downloads a browser build of its own: the tests drive Debian's /usr/bin/chromium.
set -euo pipefail

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

packages=()
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
if [[ "${1:-}" == "--browser" ]]; then
  [[ -x /usr/bin/chromium ]] || packages+=(chromium)
  installed fonts-dejavu-core || packages+=(fonts-dejavu-core)
fi

if [[ ${#packages[@]} -gt 0 ]]; then
  echo "installing: ${packages[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y -q --no-install-recommends "${packages[@]}" >/tmp/parley-web-apt.log 2>&1; then
    $sudo apt-get update -q >/tmp/parley-web-apt.log 2>&1
    $sudo apt-get install -y -q --no-install-recommends "${packages[@]}" >>/tmp/parley-web-apt.log 2>&1 \
      || { tail -20 /tmp/parley-web-apt.log; exit 1; }
  fi
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if (( major < 20 )); then
  echo "web-deps: Node.js $(node --version) is too old: Vite 8 needs Node.js 20.19 or newer" >&2
  exit 1
fi
