#!/usr/bin/env bash
# Benchmark: handlers/login.js on isere-sim (release), POST /login with a
# correct password, per user store (KV, PostgreSQL, Redis), measured with wrk
# over keep-alive HTTP/1.1. A report, not a test.
#
#   bench/login.sh
#
# Environment (all optional):
#   ITERATIONS=1000         PBKDF2 iterations of the stored hash
#   DURATION=10s THREADS=2 CONNS=8
#   ISERE_SIM=path          use this isere-sim binary instead of building one
# Needs wrk and the servers of scripts/test-servers.sh (PostgreSQL role
# isere_scram, Redis 6380 user isere), as `make test` does.
set -euo pipefail
cd "$(dirname "$0")/.."

ITERATIONS=${ITERATIONS:-1000}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-8}
PORT=${PORT:-18181}

command -v wrk >/dev/null 2>&1 || { echo "bench: wrk not found (apt-get install -y wrk)" >&2; exit 1; }
if [ -n "${ISERE_SIM:-}" ]; then
    SIM=$ISERE_SIM
else
    cargo build --release --bin isere-sim >&2
    SIM=${CARGO_TARGET_DIR:-target}/release/isere-sim
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/isere-login.XXXXXX")
SIM_PID=
cleanup() {
    [ -n "$SIM_PID" ] && kill -TERM "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

HASH=$("$SIM" --hash-password --password lovelace --iterations "$ITERATIONS")
"$SIM" --data "$TMP/users.img" --add-user ada --password lovelace --iterations "$ITERATIONS" >/dev/null
psql -X -q "postgres://isere_trust@127.0.0.1:5432/isere_test" >/dev/null <<SQL
create table if not exists users (username text primary key, password_hash text not null);
grant select on users to isere_scram;
insert into users values ('ada', '$HASH') on conflict (username) do update set password_hash = excluded.password_hash;
SQL
redis-cli -p 6380 --user isere --pass isere-secret --no-auth-warning HSET user:ada password_hash "$HASH" >/dev/null

cat >"$TMP/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"username":"ada","password":"lovelace"}'
wrk.headers["Content-Type"] = "application/json"
local non200 = 0
response = function(status) if status ~= 200 then non200 = non200 + 1 end end
done = function() if non200 > 0 then io.write("NON-200 RESPONSES: " .. non200 .. "\n") end end
LUA

run() {
    local name=$1 bindings=$2
    cat >"$TMP/config.json" <<JSON
{"log_level":"warn","functions":[{"name":"login","module":"login",
  "env":{"JWT_SECRET":"bench","PBKDF2_ITERATIONS":"$ITERATIONS"},"bindings":$bindings}],
 "routes":[{"prefix":"/","function":"login"}]}
JSON
    "$SIM" --config "$TMP/config.json" --data "$TMP/users.img" --port "$PORT" 2>"$TMP/sim.log" &
    SIM_PID=$!
    for _ in $(seq 1 50); do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
        sleep 0.1
    done
    local ok
    ok=$(curl -s -XPOST "http://127.0.0.1:$PORT/login" -d '{"username":"ada","password":"lovelace"}')
    case $ok in *token*) ;; *) echo "bench: $name login failed: $ok" >&2; cat "$TMP/sim.log" >&2; exit 1 ;; esac
    local out
    out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$TMP/post.lua" "http://127.0.0.1:$PORT/login")
    printf '%-10s %10s req/s   p99 %s\n' "$name" \
        "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")"
    grep "NON-200" <<<"$out" || true
    kill -TERM "$SIM_PID"
    wait "$SIM_PID" 2>/dev/null || true
    SIM_PID=
}

echo "POST /login, PBKDF2-SHA256 $ITERATIONS iterations, wrk -t$THREADS -c$CONNS -d$DURATION"
run kv '{"USERS":{"type":"kv"}}'
run postgres '{"DB":{"type":"postgres","url":"postgres://isere_scram:scram-secret@127.0.0.1:5432/isere_test"}}'
run redis '{"REDIS":{"type":"redis","url":"redis://isere:isere-secret@127.0.0.1:6380"}}'
