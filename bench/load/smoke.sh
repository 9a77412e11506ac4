#!/usr/bin/env bash
# Smoke test of parley-bench against the real parleyd: 20 clients in one room for ~3 s.
# Asserts the counts (lost = 0, duplicates = 0, deliveries = acked x members), not speed.
set -euo pipefail
PARLEYD=$1
BENCH=$2
TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
SECRET=bench-smoke-secret-0123456789abcdef
"$PARLEYD" --host 127.0.0.1 --port 0 --data-dir "$TMP/data" --jwt-secret "$SECRET" \
  --log-level warn --web-root "$TMP" >"$TMP/out" 2>"$TMP/err" &
SERVER_PID=$!
PORT=
for _ in $(seq 100); do
  PORT=$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9][0-9]*\).*/\1/p' "$TMP/out" | head -1)
  [[ -n $PORT ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "parleyd exited"; cat "$TMP/err"; exit 1; }
  sleep 0.1
done
[[ -n $PORT ]] || { echo "parleyd did not report its port"; cat "$TMP/err"; exit 1; }

"$BENCH" --target "ws://127.0.0.1:$PORT/ws" --jwt-secret "$SECRET" --scenario room200 --clients 20 \
  --rate 5 --duration 3 --drain-timeout 5 --json "$TMP/r.json" --server-pid "$SERVER_PID"

python3 - "$TMP/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
members = r["joined"]
checks = [
    ("all 20 connected and joined", r["connected"] == 20 and members == 20),
    ("messages were acked", r["acked"] > 0 and r["acked"] == r["sent"]),
    ("lost == 0", r["lost"] == 0),
    ("duplicates == 0", r["duplicates"] == 0),
    ("deliveries == acked x members", r["deliveries"] == r["acked"] * members == r["expected_deliveries"]),
    ("no errors", r["errors"] == 0),
    ("latency recorded for every delivery", r["latency"]["count"] == r["deliveries"]),
]
bad = [n for n, ok in checks if not ok]
for n, ok in checks: print(("ok   " if ok else "FAIL ") + n)
sys.exit(1 if bad else 0)
PY
