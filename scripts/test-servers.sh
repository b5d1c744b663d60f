#!/usr/bin/env bash
# Starts the PostgreSQL and Redis servers the database tests talk to, on
# loopback, and gives them the test roles. Run as root (scripts/deps.sh runs
# it); safe to run again: it changes only what is missing.
#
#   PostgreSQL (Debian's cluster, port 5432), database isere_test, one role per
#   authentication method, each allowed from 127.0.0.1 only by its own
#   pg_hba.conf line (the board under QEMU reaches the host's loopback through
#   slirp, so it connects from 127.0.0.1 too):
#     isere_trust  trust             (no password)
#     isere_clear  password          clear-secret   (cleartext on the wire)
#     isere_md5    md5               md5-secret     (stored as an md5 hash)
#     isere_scram  scram-sha-256     scram-secret
#   Redis 6379: no password (Debian's default server).
#   Redis 6380: requirepass redis-secret, and the ACL user isere / isere-secret.
#
# The tests (tests/postgres.rs, tests/redis.rs) default to exactly these
# settings; ISERE_PG_HOST/ISERE_PG_PORT and ISERE_REDIS_HOST/ISERE_REDIS_PORT/
# ISERE_REDIS_AUTH_PORT point them elsewhere.
set -euo pipefail

PG_DB=isere_test
REDIS_AUTH_PORT=6380
HBA_BEGIN="# isere-test-begin (scripts/test-servers.sh)"
HBA_END="# isere-test-end"

# --- PostgreSQL -------------------------------------------------------------
cluster=$(pg_lsclusters -h | awk 'NR == 1 { print $1 " " $2 }')
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  pg_createcluster "$version" main >/dev/null
  cluster="$version main"
fi
read -r pg_version pg_cluster <<<"$cluster"
hba=/etc/postgresql/$pg_version/$pg_cluster/pg_hba.conf

if ! grep -qF "$HBA_BEGIN" "$hba"; then
  # pg_hba.conf is first-match: our lines go before Debian's defaults.
  tmp=$(mktemp)
  {
    echo "$HBA_BEGIN"
    echo "host $PG_DB isere_trust 127.0.0.1/32 trust"
    echo "host $PG_DB isere_clear 127.0.0.1/32 password"
    echo "host $PG_DB isere_md5   127.0.0.1/32 md5"
    echo "host $PG_DB isere_scram 127.0.0.1/32 scram-sha-256"
    echo "$HBA_END"
    cat "$hba"
  } >"$tmp"
  cat "$tmp" >"$hba"
  rm -f "$tmp"
fi

if pg_lsclusters -h | awk -v v="$pg_version" -v c="$pg_cluster" '$1 == v && $2 == c { exit $4 == "online" ? 0 : 1 }'; then
  pg_ctlcluster "$pg_version" "$pg_cluster" reload
else
  pg_ctlcluster "$pg_version" "$pg_cluster" start
fi

psql_admin() {
  su postgres -c "psql -X -q -v ON_ERROR_STOP=1 $*"
}
for _ in $(seq 1 50); do
  su postgres -c "psql -X -q -c 'select 1'" >/dev/null 2>&1 && break
  sleep 0.2
done
psql_admin <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'isere_trust') THEN CREATE ROLE isere_trust LOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'isere_clear') THEN CREATE ROLE isere_clear LOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'isere_md5') THEN CREATE ROLE isere_md5 LOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'isere_scram') THEN CREATE ROLE isere_scram LOGIN; END IF;
END
$$;
SET password_encryption = 'scram-sha-256';
ALTER ROLE isere_clear PASSWORD 'clear-secret';
ALTER ROLE isere_scram PASSWORD 'scram-secret';
SET password_encryption = 'md5';
ALTER ROLE isere_md5 PASSWORD 'md5-secret';
SQL
if ! su postgres -c "psql -X -tAc \"select 1 from pg_database where datname = '$PG_DB'\"" | grep -q 1; then
  su postgres -c "createdb -O isere_trust $PG_DB"
fi
psql_admin "-d $PG_DB" <<'SQL'
GRANT ALL ON SCHEMA public TO isere_trust, isere_clear, isere_md5, isere_scram;
SQL

# --- Redis --------------------------------------------------------------------
mkdir -p /var/log/redis
if ! redis-cli -p 6379 ping >/dev/null 2>&1; then
  redis-server --port 6379 --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
    --logfile /var/log/redis/isere-6379.log --pidfile /run/isere-redis-6379.pid >/dev/null
fi
if ! redis-cli -p "$REDIS_AUTH_PORT" --no-auth-warning -a redis-secret ping >/dev/null 2>&1; then
  conf=/etc/redis/isere-test-$REDIS_AUTH_PORT.conf
  cat >"$conf" <<CONF
port $REDIS_AUTH_PORT
bind 127.0.0.1
daemonize yes
save ""
appendonly no
logfile /var/log/redis/isere-$REDIS_AUTH_PORT.log
pidfile /run/isere-redis-$REDIS_AUTH_PORT.pid
requirepass redis-secret
user isere on >isere-secret ~* &* +@all
CONF
  redis-server "$conf" >/dev/null
fi
for port in 6379 "$REDIS_AUTH_PORT"; do
  for _ in $(seq 1 50); do
    redis-cli -p "$port" --no-auth-warning -a redis-secret ping 2>/dev/null | grep -q PONG && break
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
    sleep 0.2
  done
done
echo "test-servers: PostgreSQL $pg_version/$pg_cluster on 5432 (database $PG_DB), Redis on 6379 and $REDIS_AUTH_PORT"
