#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1 (default ports):
# start them if they are down, install them from Debian's packages if missing.
# Also install chromium (Debian's package) for the report.html browser test.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_for() { # name, command
  for _ in $(seq 1 60); do
    if eval "$2" >/dev/null 2>&1; then echo "   $1 is up"; return 0; fi
    sleep 0.5
  done
  echo "   $1 did not come up" >&2
  return 1
}

echo "== services"
# PostgreSQL
if ! (have pg_isready && pg_isready -h 127.0.0.1 -p 5432 -q); then
  if ! have pg_ctlcluster || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    echo "   installing postgresql"
    apt_install postgresql
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -n1)
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  wait_for postgresql "pg_isready -h 127.0.0.1 -p 5432 -q"
else
  echo "   postgresql is up"
fi
# The driver tests log in as postgres/postgres over TCP.
su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null

# Redis
if ! (have redis-cli && redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG); then
  if ! have redis-server; then
    echo "   installing redis-server"
    apt_install redis-server
  fi
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for redis "redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG"
else
  echo "   redis is up"
fi

# Chromium, for the report.html browser test (spike-core/tests/artifacts_browser.rs
# fails under CI=true without it).
if ! have chromium; then
  echo "   installing chromium"
  apt_install chromium
else
  echo "   chromium is installed"
fi

# Prometheus 2.x, for the live-metrics scrape test (tests/live_prometheus.rs
# starts its own on an ephemeral port; it fails under CI=true without it).
# The package may start a system service on :9090: stop and disable it.
if [ ! -x /usr/bin/prometheus ]; then
  echo "   installing prometheus"
  apt_install prometheus
  (systemctl disable --now prometheus || service prometheus stop || true) >/dev/null 2>&1
else
  echo "   prometheus is installed"
fi
# A system Prometheus left running (the package's service) is stopped.
(service prometheus status && service prometheus stop) >/dev/null 2>&1 || true
