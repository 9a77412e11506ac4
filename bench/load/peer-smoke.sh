#!/usr/bin/env bash
# Smoke test of parley-bench against the bench peers (not part of `make test`, like the peers
# themselves): a throwaway redis-server, two processes of each peer on it, and a 3 s room200
# run of 20 clients spread over both processes with --protocol ws-redis, then socketio.
# Asserts the counts (lost = 0, duplicates = 0, deliveries = acked x members), not speed.
# Needs redis-server, Node.js and `npm ci` in bench/peers/ws-redis and bench/peers/socketio.
#   bench/load/peer-smoke.sh [build/parley-bench]
set -euo pipefail
cd "$(dirname "$0")/../.."
BENCH=${1:-build/parley-bench}
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
SECRET=peer-smoke-secret-0123456789

# Waits for "$2" in file $1 and prints the port of "http://127.0.0.1:PORT" on that line.
port_of() {
  local i line
  for i in $(seq 100); do
    line=$(grep -m1 "$2" "$1" 2>/dev/null || true)
    if [[ -n $line ]]; then sed -n 's/.*127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' <<<"$line"; return 0; fi
    sleep 0.1
  done
  echo "no '$2' in $1:" >&2; cat "$1" >&2; return 1
}

RPORT=$(( 20000 + RANDOM % 12000 ))
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" >"$TMP/redis.log" 2>&1 &
PIDS+=($!)
for i in $(seq 100); do grep -q "Ready to accept" "$TMP/redis.log" && break; sleep 0.1; done

fail=0
for peer in ws-redis socketio; do
  targets=()
  for k in 1 2; do
    node "bench/peers/$peer/server.mjs" --port 0 --redis "redis://127.0.0.1:$RPORT" --jwt-secret "$SECRET" \
      >"$TMP/$peer-$k.log" 2>&1 &
    PIDS+=($!)
    targets+=(--target "ws://127.0.0.1:$(port_of "$TMP/$peer-$k.log" "peer listening")/ws")
  done
  "$BENCH" --protocol "$peer" "${targets[@]}" --jwt-secret "$SECRET" --scenario room200 --clients 20 \
    --rate 5 --duration 3 --drain-timeout 5 --json "$TMP/$peer.json" >"$TMP/$peer.out" 2>&1 || true
  node - "$TMP/$peer.json" "$peer" <<'JS' || fail=1
const r = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
const checks = [
  ['all 20 connected and joined', r.connected === 20 && r.joined === 20],
  ['messages were acked', r.acked > 0 && r.acked === r.sent],
  ['lost == 0', r.lost === 0],
  ['duplicates == 0', r.duplicates === 0],
  ['deliveries == acked x members', r.deliveries === r.acked * 20 && r.deliveries === r.expected_deliveries],
  ['no errors', r.errors === 0],
];
for (const [n, ok] of checks) console.log(`${ok ? 'ok  ' : 'FAIL'} ${process.argv[3]}: ${n}`);
process.exit(checks.every(([, ok]) => ok) ? 0 : 1);
JS
  [[ $fail -eq 0 ]] || cat "$TMP/$peer.out"
done
# history is not in the bench protocol: parley-bench must skip it, not fail
"$BENCH" --protocol ws-redis --target ws://127.0.0.1:1/ws --jwt-secret x --scenario history | grep -q skipped \
  && echo "ok   history skipped for the peers" || { echo "FAIL history not skipped"; fail=1; }
exit $fail
