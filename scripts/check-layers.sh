#!/usr/bin/env bash
# The layer floors (src/CMakeLists.txt), checked on the sources: each folder of src/ may
# include only the folders listed for it, and only net/ and the Redis bus may include Beast or
# Asio. Prints every include that crosses a floor and exits 1 if there is one.
# Usage: scripts/check-layers.sh [SRC_DIR]   (a unit test in ctest: layers.check)
set -euo pipefail
src="${1:-$(dirname "$0")/../src}"

declare -A allowed=(
  [common]="common"
  [metrics]="common metrics"
  [protocol]="common protocol"
  [auth]="common auth protocol"
  [config]="common config auth"
  [store]="common metrics store"
  [media]="common media"
  [bus]="common metrics bus"
  [hub]="common metrics bus store hub"
  [net]="common metrics protocol auth config store media bus hub net"
  [webhooks]="common metrics store webhooks"
  [app]="common metrics protocol auth config store media bus hub net webhooks app"
)
# Folders whose files may use Beast or Asio: the network layer, the Redis bus (its sockets),
# the webhook sender (its HTTP client), and the wiring in app/.
asio_ok() { [[ $1 == net/* || $1 == app/* || $1 == bus/redis_* || $1 == webhooks/* ]]; }

bad=0
while IFS= read -r -d '' file; do
  rel=${file#"$src"/}
  layer=${rel%%/*}
  [[ -n ${allowed[$layer]+x} ]] || { echo "$rel: folder $layer has no place in the layer list"; bad=1; continue; }
  while IFS= read -r line; do
    inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([a-z_]+)\/.*/\1/' <<<"$line")
    if [[ " ${allowed[$layer]} " != *" $inc "* ]]; then
      echo "$rel: includes $inc/ ($line): $layer may include only ${allowed[$layer]}"
      bad=1
    fi
  done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]+/' "$file" || true)
  if ! asio_ok "$rel" && grep -qE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<boost/(asio|beast)' "$file"; then
    echo "$rel: includes Beast or Asio: only net/, app/ and the Redis bus may"
    bad=1
  fi
done < <(find "$src" -name '*.[ch]pp' -print0)
[[ $bad -eq 0 ]] && echo "layers: every include respects the floors"
exit $bad
