#!/usr/bin/env bash
# Starts a throwaway parley cluster on loopback: one redis-server, one PostgreSQL 15 (initdb in
# DIR) and N parleyd nodes sharing one JWT secret, every server on its own port, every file in
# DIR. For load tests, chaos tests and trying the cluster by hand; production runs the files in
# deploy/ (docs/cluster.md).
#
#   scripts/cluster-up.sh start DIR [--nodes N] [--parleyd PATH] [--jwt-secret S] [--durable] [parleyd flags…]
#       Creates DIR if needed (it must not hold a running cluster), starts everything and returns
#       once every node answers GET /readyz with 200 (store and Redis reachable; /healthz for a
#       parleyd that has no /readyz). Writes DIR/env, a file for `source`:
#         CLUSTER_DIR  NODES  JWT_SECRET  REDIS_URL  REDIS_PORT  REDIS_PID  PG_URL  PG_PORT  PG_PID
#         NODE<i>_PORT  NODE<i>_PID  NODE<i>_URL (ws://127.0.0.1:port/ws)   for i = 1..N
#         TARGETS      the N WebSocket URLs, space-separated
#       --durable: PostgreSQL with fsync, full_page_writes and synchronous_commit on, as in
#       production (an ack is on disk); without it, all three are off (a throwaway instance).
#       Defaults: 3 nodes, build/parleyd, a random secret. Flags after the known ones are passed
#       to every parleyd (e.g. --rate-per-sec 100000 --rate-burst 100000 --log-level warn).
#       Logs: DIR/redis.log, DIR/postgres.log, DIR/node<i>.log.
#   scripts/cluster-up.sh stop DIR
#       SIGTERM to the nodes, then Redis and PostgreSQL; waits for each to exit (SIGKILL after
#       15 s). Safe to call twice, and on a DIR whose start failed half-way.
#   scripts/cluster-up.sh kill-node DIR I     SIGKILL node I and wait until it is gone.
#   scripts/cluster-up.sh start-node DIR I [--store URL] [--redis URL]
#                                             start node I again on its port (same flags, same
#                                             node id); returns once it is ready (/readyz). With
#                                             --store/--redis the node (from now on, also after
#                                             a kill) reaches PostgreSQL/Redis there instead,
#                                             e.g. through a fault-injecting proxy.
#   scripts/cluster-up.sh stop-node DIR I     SIGTERM node I (graceful drain) and wait.
#   scripts/cluster-up.sh status DIR          one line per server: running or not.
#   scripts/cluster-up.sh restart-redis DIR   SIGKILL redis-server and start it again on its port
#                                             (empty: no persistence), returns once it is ready.
#   scripts/cluster-up.sh restart-pg DIR      restart PostgreSQL (fast shutdown: open transactions
#                                             rolled back, connections dropped) on its port.
#
# Needs redis-server and PostgreSQL 15 (scripts/cluster-deps.sh installs them). As root,
# initdb and postgres run as the `postgres` user, and DIR is made traversable (o+x) for it.
# Servers run in their own sessions (setsid), so they outlive this script until `stop`.
# PostgreSQL runs with fsync off unless --durable: the cluster is throwaway, and parleyd is what
# gets killed. Benchmarks of the cluster (bench/compare) use --durable.
set -euo pipefail

die() { echo "cluster-up: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-2}"; }

READY_TIMEOUT_S=${CLUSTER_READY_TIMEOUT_S:-30}

pg_bindir() {
  if [[ -n "${PARLEY_PG_BINDIR:-}" ]]; then echo "$PARLEY_PG_BINDIR"; return; fi
  local d best="" bestv=0 v
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/initdb" && -x "$d/postgres" ]] || continue
    v=$(basename "$(dirname "$d")"); v=${v%%.*}
    if (( v > bestv )); then best=$d; bestv=$v; fi
  done
  [[ -n "$best" ]] || { command -v initdb >/dev/null && best=$(dirname "$(readlink -f "$(command -v initdb)")"); }
  [[ -n "$best" ]] || die "PostgreSQL (initdb, postgres) not found: run scripts/cluster-deps.sh"
  echo "$best"
}

# Runs a command as the postgres user when we are root (PostgreSQL refuses to run as root).
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A port nothing listens on, below the ephemeral range (so outgoing connections never hold it).
pick_port() {
  local p i
  for i in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 12000 ))
    if ! ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then echo "$p"; return; fi
  done
  die "no free port found"
}

# The HTTP status of GET $2 on 127.0.0.1:$1 (bash's /dev/tcp: no curl needed); empty if none.
http_status() {
  local line=""
  { exec 9<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 0
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&9 || { exec 9<&-; return 0; }
  IFS= read -r -t 3 line <&9 || true
  exec 9<&-
  line=${line#HTTP/1.1 }
  echo "${line%% *}"
}

# 0 when the node on port $1 is ready: /readyz (store and bus reachable) answers 200, or, for
# a parleyd without /readyz (404), /healthz does.
healthz() {
  local st
  st=$(http_status "$1" /readyz)
  [[ "$st" == 200 ]] && return 0
  [[ "$st" == 404 && "$(http_status "$1" /healthz)" == 200 ]]
}

alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# alive and running the program we started (guards against a reused pid)
ours() {
  local pid=$1 name=$2
  alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$name"
}

# Sends $2 to pid $1 and waits up to $3 s for it to exit, then SIGKILL.
stop_pid() {
  local pid=$1 sig=$2 t=$3 i
  kill "-$sig" "$pid" 2>/dev/null || return 0
  for ((i = 0; i < t * 10; i++)); do alive "$pid" || return 0; sleep 0.1; done
  echo "cluster-up: pid $pid still running after ${t}s, SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do alive "$pid" || return 0; sleep 0.1; done
}

write_env() {
  local dir=$1 tmp="$1/env.tmp" i
  {
    echo "# written by scripts/cluster-up.sh; source it"
    printf 'CLUSTER_DIR=%q\nNODES=%q\nJWT_SECRET=%q\n' "$dir" "$NODES" "$JWT_SECRET"
    printf 'REDIS_PORT=%q\nREDIS_PID=%q\nREDIS_URL=%q\n' "$REDIS_PORT" "$REDIS_PID" "redis://127.0.0.1:$REDIS_PORT"
    printf 'PG_PORT=%q\nPG_PID=%q\nPG_URL=%q\n' "$PG_PORT" "$PG_PID" "postgres://postgres@127.0.0.1:$PG_PORT/parley"
    local targets=""
    for ((i = 1; i <= NODES; i++)); do
      local pv="NODE${i}_PORT" dv="NODE${i}_PID" sv="NODE${i}_STORE" rv="NODE${i}_REDIS"
      printf 'NODE%d_PORT=%q\nNODE%d_PID=%q\nNODE%d_URL=%q\n' "$i" "${!pv:-}" "$i" "${!dv:-}" "$i" \
        "ws://127.0.0.1:${!pv:-0}/ws"
      printf 'NODE%d_STORE=%q\nNODE%d_REDIS=%q\n' "$i" "${!sv:-}" "$i" "${!rv:-}"
      targets+="${targets:+ }ws://127.0.0.1:${!pv:-0}/ws"
    done
    printf 'TARGETS=%q\n' "$targets"
    echo "export CLUSTER_DIR NODES JWT_SECRET REDIS_URL PG_URL TARGETS"
  } >"$tmp"
  mv "$tmp" "$dir/env"
}

load_env() {
  local dir=$1
  [[ -f "$dir/env" ]] || die "$dir/env not found (no cluster started there)"
  # shellcheck disable=SC1091
  source "$dir/env"
  # shellcheck disable=SC1091
  source "$dir/node-args"
}

start_redis() {
  local dir=$1 attempt i
  for attempt in 1 2 3 4 5; do
    REDIS_PORT=${2:-$(pick_port)}
    : >"$dir/redis.log"
    setsid redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
      --daemonize no --logfile '' --protected-mode no --databases 1 >>"$dir/redis.log" 2>&1 </dev/null &
    REDIS_PID=$!
    for ((i = 0; i < READY_TIMEOUT_S * 10; i++)); do
      grep -q "Ready to accept connections" "$dir/redis.log" && return 0
      alive "$REDIS_PID" || break
      sleep 0.1
    done
    stop_pid "$REDIS_PID" KILL 2
    [[ -z "${2:-}" ]] || break  # a restart on its port: no other port to try
  done
  tail -5 "$dir/redis.log" >&2
  die "redis-server did not start"
}

start_postgres() {
  local dir=$1 bin attempt durability
  bin=$(pg_bindir)
  if [[ "${DURABLE:-0}" == 1 ]]; then
    durability="-c fsync=on -c full_page_writes=on -c synchronous_commit=on"
  else
    durability="-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
  fi
  mkdir -p "$dir/pg"
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root and there is no postgres user (scripts/cluster-deps.sh)"
    chmod o+x "$dir"
    chown postgres: "$dir/pg"
    runuser -u postgres -- test -x "$dir/pg" \
      || die "the postgres user cannot reach $dir: give its parent directories o+x (or use a DIR under /tmp)"
  fi
  touch "$dir/postgres.log"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$dir/postgres.log"
  as_pg env LC_ALL=C TZ=UTC "$bin/initdb" -D "$dir/pg/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
    >>"$dir/postgres.log" 2>&1 || { tail -20 "$dir/postgres.log" >&2; die "initdb failed"; }
  for attempt in 1 2 3 4 5; do
    PG_PORT=$(pick_port)
    if as_pg env LC_ALL=C TZ=UTC "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/postgres.log" -w -t "$READY_TIMEOUT_S" \
         -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir/pg $durability \
             -c max_connections=300 -c shared_buffers=64MB \
             -c log_min_messages=warning" \
         start >/dev/null 2>&1; then
      PG_PID=$(head -1 "$dir/pg/data/postmaster.pid")
      as_pg "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres parley \
        || die "createdb parley failed"
      return 0
    fi
  done
  tail -20 "$dir/postgres.log" >&2
  die "postgres did not start"
}

# Starts parleyd as node $2 of the cluster in $1 on port $3, in its own session; NODE<i>_PID.
launch_node() {
  local dir=$1 i=$2 port=$3 sv="NODE${2}_STORE" rv="NODE${2}_REDIS"
  # The node's own links when start-node was given them (e.g. through a fault-injecting proxy).
  local store=${!sv:-postgres://postgres@127.0.0.1:$PG_PORT/parley} redis=${!rv:-redis://127.0.0.1:$REDIS_PORT}
  setsid "$PARLEYD" --host 127.0.0.1 --port "$port" --data-dir "$dir/node$i" --jwt-secret "$JWT_SECRET" \
    --store "$store" --redis "$redis" \
    --node-id "node$i" "${EXTRA[@]}" >>"$dir/node$i.log" 2>&1 </dev/null &
  printf -v "NODE${i}_PID" '%s' "$!"
}

# Starts node $2 of the cluster in $1, on its recorded port (a free one the first time).
start_node() {
  local dir=$1 i=$2 port pid k tries=0
  local pv="NODE${i}_PORT" dv="NODE${i}_PID"
  port=${!pv:-}
  local first=0
  [[ -n "$port" ]] || { port=$(pick_port); first=1; }
  mkdir -p "$dir/node$i"
  echo "--- start $(date -u +%FT%TZ)" >>"$dir/node$i.log"
  local from; from=$(wc -c <"$dir/node$i.log")
  launch_node "$dir" "$i" "$port"
  pid=${!dv}
  for ((k = 0; k < READY_TIMEOUT_S * 10; k++)); do
    if healthz "$port"; then
      printf -v "$pv" '%s' "$port"
      return 0
    fi
    if ! alive "$pid"; then
      # lost a race for the port picked on first start: try another one
      if (( first && ++tries < 5 )) && tail -c +"$((from + 1))" "$dir/node$i.log" | grep -q "cannot listen"; then
        port=$(pick_port)
        launch_node "$dir" "$i" "$port"
        pid=${!dv}
        continue
      fi
      break
    fi
    sleep 0.1
  done
  tail -20 "$dir/node$i.log" >&2
  alive "$pid" && stop_pid "$pid" KILL 2
  printf -v "$dv" '%s' ""
  die "node$i was not ready (/readyz) within ${READY_TIMEOUT_S}s (log: $dir/node$i.log)"
}

cmd_start() {
  [[ $# -ge 1 ]] || usage
  local dir=$1; shift
  NODES=3 PARLEYD=build/parleyd JWT_SECRET="" DURABLE=0
  EXTRA=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --nodes) NODES=$2; shift 2 ;;
      --nodes=*) NODES=${1#*=}; shift ;;
      --parleyd) PARLEYD=$2; shift 2 ;;
      --parleyd=*) PARLEYD=${1#*=}; shift ;;
      --jwt-secret) JWT_SECRET=$2; shift 2 ;;
      --jwt-secret=*) JWT_SECRET=${1#*=}; shift ;;
      --durable) DURABLE=1; shift ;;
      *) EXTRA+=("$1"); shift ;;
    esac
  done
  [[ "$NODES" =~ ^[1-9][0-9]*$ ]] || die "--nodes wants a positive number"
  [[ -x "$PARLEYD" ]] || die "$PARLEYD is not an executable (make build)"
  PARLEYD=$(readlink -f "$PARLEYD")
  command -v redis-server >/dev/null || die "redis-server not found: run scripts/cluster-deps.sh"
  [[ -n "$JWT_SECRET" ]] || JWT_SECRET=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  mkdir -p "$dir"
  dir=$(readlink -f "$dir")
  if [[ -f "$dir/env" ]]; then
    ( load_env "$dir"; for p in "$REDIS_PID" "$PG_PID"; do alive "$p" && exit 1; done; exit 0 ) \
      || die "$dir holds a running cluster; stop it first"
    rm -rf "$dir/pg" "$dir"/node[0-9]* "$dir/env"
  fi
  REDIS_PORT="" REDIS_PID="" PG_PORT="" PG_PID=""
  declare -p PARLEYD EXTRA | sed 's/^declare /declare -g /' >"$dir/node-args"  # sourced in a function
  write_env "$dir"  # so that `stop` finds whatever started if something below fails
  trap 'echo "cluster-up: start failed, stopping what was started" >&2; write_env "$dir"; cmd_stop "$dir" >&2' EXIT
  start_redis "$dir"; write_env "$dir"
  start_postgres "$dir"; write_env "$dir"
  local i
  for ((i = 1; i <= NODES; i++)); do start_node "$dir" "$i"; write_env "$dir"; done
  trap - EXIT
  load_env "$dir"
  echo "cluster up: $NODES nodes ($TARGETS), redis :$REDIS_PORT, postgres :$PG_PORT; env in $dir/env"
}

cmd_stop() {
  [[ $# -eq 1 ]] || usage
  local dir=$1 i
  [[ -f "$dir/env" ]] || { echo "cluster-up: nothing to stop in $dir"; return 0; }
  load_env "$dir"
  for ((i = 1; i <= NODES; i++)); do
    local dv="NODE${i}_PID"
    ours "${!dv:-}" parleyd && kill -TERM "${!dv}" 2>/dev/null
  done
  for ((i = 1; i <= NODES; i++)); do
    local dv="NODE${i}_PID"
    ours "${!dv:-}" parleyd && stop_pid "${!dv}" TERM 15
    printf -v "$dv" '%s' ""
  done
  ours "${REDIS_PID:-}" redis-server && stop_pid "$REDIS_PID" TERM 15
  ours "${PG_PID:-}" postgres && stop_pid "$PG_PID" INT 15  # fast shutdown
  REDIS_PID="" PG_PID=""
  write_env "$dir"
  echo "cluster down ($dir)"
}

node_index() {
  [[ "$2" =~ ^[1-9][0-9]*$ ]] && (( $2 <= NODES )) || die "no node $2 (1..$NODES)"
}

cmd_kill_node() {
  [[ $# -eq 2 ]] || usage
  local dir=$1 i=$2
  load_env "$dir"; node_index "$dir" "$i"
  local dv="NODE${i}_PID"
  ours "${!dv:-}" parleyd && stop_pid "${!dv}" KILL 5
  printf -v "$dv" '%s' ""
  write_env "$dir"
}

cmd_stop_node() {
  [[ $# -eq 2 ]] || usage
  local dir=$1 i=$2
  load_env "$dir"; node_index "$dir" "$i"
  local dv="NODE${i}_PID"
  ours "${!dv:-}" parleyd && stop_pid "${!dv}" TERM 15
  printf -v "$dv" '%s' ""
  write_env "$dir"
}

cmd_start_node() {
  [[ $# -ge 2 ]] || usage
  local dir=$1 i=$2
  shift 2
  load_env "$dir"; node_index "$dir" "$i"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --store) printf -v "NODE${i}_STORE" '%s' "$2"; shift 2 ;;
      --redis) printf -v "NODE${i}_REDIS" '%s' "$2"; shift 2 ;;
      *) usage ;;
    esac
  done
  local dv="NODE${i}_PID"
  ours "${!dv:-}" parleyd && die "node$i is running (pid ${!dv})"
  start_node "$dir" "$i"
  write_env "$dir"
}

cmd_restart_redis() {
  [[ $# -eq 1 ]] || usage
  local dir=$1
  load_env "$dir"
  ours "${REDIS_PID:-}" redis-server && stop_pid "$REDIS_PID" KILL 5
  start_redis "$dir" "$REDIS_PORT"
  write_env "$dir"
}

cmd_restart_pg() {
  [[ $# -eq 1 ]] || usage
  local dir=$1 bin
  load_env "$dir"
  bin=$(pg_bindir)
  # A fast shutdown (open transactions rolled back, connections dropped), then a start with
  # the options of the first one (pg_ctl keeps them in postmaster.opts).
  as_pg env LC_ALL=C TZ=UTC "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/postgres.log" -m fast -w -t "$READY_TIMEOUT_S" \
    restart >/dev/null 2>&1 || { tail -20 "$dir/postgres.log" >&2; die "postgres did not restart"; }
  PG_PID=$(head -1 "$dir/pg/data/postmaster.pid")
  write_env "$dir"
}

cmd_status() {
  [[ $# -eq 1 ]] || usage
  local dir=$1 i st
  load_env "$dir"
  st() { if ours "$2" "$3"; then echo "$1 running (pid $2${4:+, port $4})"; else echo "$1 stopped"; fi; }
  st redis "$REDIS_PID" redis-server "$REDIS_PORT"
  st postgres "$PG_PID" postgres "$PG_PORT"
  for ((i = 1; i <= NODES; i++)); do
    local dv="NODE${i}_PID" pv="NODE${i}_PORT"
    st "node$i" "${!dv:-}" parleyd "${!pv:-}"
  done
}

[[ $# -ge 1 ]] || usage
command=$1; shift
case "$command" in
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  kill-node) cmd_kill_node "$@" ;;
  start-node) cmd_start_node "$@" ;;
  stop-node) cmd_stop_node "$@" ;;
  status) cmd_status "$@" ;;
  restart-redis) cmd_restart_redis "$@" ;;
  restart-pg) cmd_restart_pg "$@" ;;
  -h|--help|help) usage 0 ;;
  *) usage ;;
esac
