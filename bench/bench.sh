#!/usr/bin/env bash
# Benchmark: isere-sim (release) against Node.js, both serving the hello
# handler over keep-alive HTTP/1.1, measured with wrk. A report, not a test.
#
#   bench/bench.sh
#
# Environment (all optional):
#   DURATION=10s THREADS=2 CONNS=50 WARMUP=3s   wrk settings
#   IDLE=10           seconds over which the idle simulator's CPU use is measured
#   ISERE_SIM=path    use this isere-sim binary instead of building one
#   NODE=node         the Node.js binary (>= 18; needs global Request/Response)
#   HANDLER=handlers/hello.js   the module Node serves
#
# Needs wrk (Debian: apt-get install -y wrk) and Node.js.
set -euo pipefail

cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-50}
WARMUP=${WARMUP:-3s}
NODE=${NODE:-node}
HANDLER=${HANDLER:-handlers/hello.js}
PATH_UNDER_TEST=/hello

die() {
    echo "bench: $*" >&2
    exit 1
}

command -v wrk >/dev/null 2>&1 || die "wrk not found (Debian: apt-get install -y wrk)"
command -v "$NODE" >/dev/null 2>&1 || die "node not found (set NODE=/path/to/node)"
"$NODE" -e 'process.exit(typeof Request === "function" && typeof Response === "function" ? 0 : 1)' ||
    die "$("$NODE" --version) has no global Request/Response; need Node >= 18"
[ -f "$HANDLER" ] || die "$HANDLER not found"

if [ -n "${ISERE_SIM:-}" ]; then
    SIM=$ISERE_SIM
else
    echo "bench: building the release simulator" >&2
    cargo build --release --bin isere-sim >&2
    SIM=${CARGO_TARGET_DIR:-target}/release/isere-sim
fi
[ -x "$SIM" ] || die "$SIM is not an executable"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/isere-bench.XXXXXX")
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME CMD... : runs CMD in the background, waits for its
# "listening on http://ADDR:PORT" line, sets PID and URL.
start() {
    local name=$1
    shift
    "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    PID=$!
    PIDS+=("$PID")
    local i
    for ((i = 0; i < 300; i++)); do
        URL=$(grep -o 'listening on http://[^ ]*' "$TMP/$name.out" 2>/dev/null | head -n1 | sed 's/^listening on //') || true
        if [ -n "$URL" ]; then
            URL=${URL%/}
            return 0
        fi
        kill -0 "$PID" 2>/dev/null || {
            cat "$TMP/$name.err" >&2
            die "$name exited before listening"
        }
        sleep 0.1
    done
    cat "$TMP/$name.err" >&2
    die "$name did not print its listening line within 30 s"
}

# Milliseconds from a wrk latency (e.g. 812.00us, 1.23ms, 1.02s).
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000
        else if (v ~ /ms$/) n = n
        else if (v ~ /m$/) n *= 60000
        else if (v ~ /s$/) n *= 1000
        printf "%.3f", n
    }'
}

# wrk in the background, so that a signal interrupts `wait` and the trap
# cleans up at once (bash defers traps while a foreground child runs).
run_wrk() {
    wrk "$@" &
    local pid=$!
    PIDS+=("$pid")
    wait "$pid"
}

# measure NAME : warms up and runs wrk against $URL, then reads the peak RSS
# of $PID. Sets RPS, P99, P99_MS, RSS_KB, ERRORS.
measure() {
    local name=$1 url="$URL$PATH_UNDER_TEST"
    echo "bench: $name: warm-up $WARMUP, then wrk -t$THREADS -c$CONNS -d$DURATION --latency $url" >&2
    run_wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "$url" >/dev/null
    sleep 1 # let the server reap the warm-up's connections
    run_wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$url" >"$TMP/$name.wrk"
    kill -0 "$PID" 2>/dev/null || die "$name died during the run"
    RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$TMP/$name.wrk")
    P99=$(awk '$1 == "99%" { print $2 }' "$TMP/$name.wrk")
    [ -n "$RPS" ] && [ -n "$P99" ] || {
        cat "$TMP/$name.wrk" >&2
        die "could not parse wrk's output for $name"
    }
    P99_MS=$(to_ms "$P99")
    RSS_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$PID/status")
    ERRORS=$(grep -E 'Non-2xx|Socket errors' "$TMP/$name.wrk" | sed 's/^ *//' | paste -sd';' -) || true
}

# --- isere-sim ------------------------------------------------------------
# The default config's hello route, with a connection pool big enough for wrk
# (over the pool, connections get 503s, which would make the numbers moot);
# twice CONNS, as the warm-up's connections may not all be reaped yet when the
# run opens its own. Log level info: nothing per request, and the leak check
# line at exit.
cat >"$TMP/isere.json" <<EOF
{
  "log_level": "info",
  "server": { "max_connections": $((2 * CONNS + 16)) },
  "functions": [ { "name": "hello", "module": "hello" } ],
  "routes": [ { "prefix": "/hello", "function": "hello" } ]
}
EOF
start isere "$SIM" --config "$TMP/isere.json" --port 0 --host 127.0.0.1
ISERE_PID=$PID

# Idle cost: CPU time (user + system) the idle simulator uses over IDLE seconds.
IDLE=${IDLE:-10}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
echo "bench: isere-sim: measuring idle CPU for ${IDLE} s" >&2
T0=$(cpu_ticks "$ISERE_PID")
sleep "$IDLE"
T1=$(cpu_ticks "$ISERE_PID")
IDLE_CPU=$(awk -v d="$((T1 - T0))" -v hz="$(getconf CLK_TCK)" -v s="$IDLE" 'BEGIN { printf "%.2f %%", 100 * d / hz / s }')

measure isere
I_RPS=$RPS I_P99=$P99 I_P99_MS=$P99_MS I_RSS=$RSS_KB I_ERR=$ERRORS

# Graceful stop: the leak check runs at exit.
kill -TERM "$ISERE_PID"
for ((i = 0; i < 300; i++)); do
    kill -0 "$ISERE_PID" 2>/dev/null || break
    sleep 0.1
done
STATUS=0
if kill -0 "$ISERE_PID" 2>/dev/null; then
    kill -KILL "$ISERE_PID" 2>/dev/null || true
    wait "$ISERE_PID" 2>/dev/null || true
    LEAK="did not exit within 30 s of SIGTERM (killed)"
else
    wait "$ISERE_PID" || STATUS=$?
    if grep -q 'leak check passed' "$TMP/isere.err"; then
        LEAK="leak check passed (exit status $STATUS)"
    else
        LEAK="no 'leak check passed' line (exit status $STATUS)"
    fi
fi

# --- Node.js --------------------------------------------------------------
start node "$NODE" bench/node-server.mjs --port 0 --host 127.0.0.1 "$HANDLER"
measure node
N_RPS=$RPS N_P99=$P99 N_P99_MS=$P99_MS N_RSS=$RSS_KB N_ERR=$ERRORS

# --- report ---------------------------------------------------------------
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }

echo
echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency, GET $PATH_UNDER_TEST, keep-alive; $(nproc) CPUs, $("$NODE" --version)"
printf '%-12s %14s %14s %12s\n' server requests/s "p99 latency" "peak RSS"
printf '%-12s %14s %14s %12s\n' isere-sim "$I_RPS" "$I_P99" "$(mib "$I_RSS")"
printf '%-12s %14s %14s %12s\n' node "$N_RPS" "$N_P99" "$(mib "$N_RSS")"
printf '%-12s %14s %14s %12s\n' isere/node "$(ratio "$I_RPS" "$N_RPS")" "$(ratio "$I_P99_MS" "$N_P99_MS")" "$(ratio "$I_RSS" "$N_RSS")"
echo
echo "isere-sim idle: $IDLE_CPU of one core over ${IDLE} s"
echo "isere-sim shutdown: $LEAK"
if [ -n "$I_ERR$N_ERR" ]; then
    [ -z "$I_ERR" ] || echo "WARNING isere-sim: $I_ERR"
    [ -z "$N_ERR" ] || echo "WARNING node: $N_ERR"
    echo "WARNING: errors or non-2xx responses during the run; the numbers above are not comparable."
fi
