#!/usr/bin/env bash
# Starts Redis and/or PostgreSQL on this machine when they do not answer (installing them if missing).
# Usage: ensure-services.sh redis [postgres]
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
REDIS_PORT="${CC_REDIS_PORT:-6379}"

apt_install() {
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "$@"
}

redis_answers() {
  python3 - "$REDIS_PORT" <<'PY'
import socket, sys
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1) as s:
        s.sendall(b"PING\r\n")
        sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}

ensure_redis() {
  if redis_answers; then return; fi
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  mkdir -p /tmp/cc12348-redis
  echo "Starting redis-server on 127.0.0.1:${REDIS_PORT}"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /tmp/cc12348-redis --logfile /tmp/cc12348-redis/redis.log
  for _ in $(seq 50); do redis_answers && return; sleep 0.1; done
  echo "redis-server did not answer on port ${REDIS_PORT}" >&2
  exit 1
}

postgres_answers() {
  command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h /var/run/postgresql
}

ensure_postgres() {
  if ! postgres_answers; then
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql; fi
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "Starting PostgreSQL ${version}"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 100); do postgres_answers && break; sleep 0.1; done
    postgres_answers || { echo "PostgreSQL did not start" >&2; exit 1; }
  fi
  # The tests connect over the local socket as the current user (peer or trust authentication).
  user="$(id -un)"
  if ! psql -h /var/run/postgresql -d postgres -Atc 'select 1' >/dev/null 2>&1; then
    $SUDO -u postgres createuser --superuser "$user" 2>/dev/null \
      || su postgres -c "createuser --superuser $user"
  fi
}

for service in "$@"; do
  case "$service" in
    redis) ensure_redis ;;
    postgres) ensure_postgres ;;
    *) echo "unknown service $service" >&2; exit 2 ;;
  esac
done
