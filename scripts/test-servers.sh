#!/usr/bin/env bash
# Makes this machine ready for `npm test`: installs the server binaries the
# tests start privately (memcached, redis-server, redis-cli) when they are
# missing, and starts the shared PostgreSQL, MariaDB and Redis when they are
# not answering. Safe to run again: it changes nothing that is already there.
set -euo pipefail

missing=()
command -v memcached >/dev/null || missing+=(memcached)
{ command -v redis-server >/dev/null && command -v redis-cli >/dev/null; } || missing+=(redis-server)

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "The tests need ${missing[*]}; install it (on Debian or Ubuntu: sudo apt-get install -y ${missing[*]}) and run again." >&2
    exit 1
  fi
  echo "Installing ${missing[*]} (Debian packages)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  # The services the packages start are not used: tests run their own on free ports.
  if command -v systemctl >/dev/null && systemctl is-active --quiet memcached 2>/dev/null; then
    systemctl stop memcached || true
  fi
fi

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() {
  for _ in $(seq 1 60); do up "$1" && return 0; sleep 0.5; done
  echo "$2 did not come up on 127.0.0.1:$1." >&2
  return 1
}

if ! up 6379; then
  echo "Starting the shared Redis on 127.0.0.1:6379..."
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_for 6379 Redis
fi
if ! up 5432; then
  echo "Starting the shared PostgreSQL on 127.0.0.1:5432..."
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  wait_for 5432 PostgreSQL
fi
if ! up 3306; then
  echo "Starting the shared MariaDB on 127.0.0.1:3306..."
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_for 3306 MariaDB
fi
