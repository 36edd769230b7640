#!/usr/bin/env bash
# A throwaway PostgreSQL server for the journal tests (no mocks of the database).
#
#   tests/postgres/server.sh start [WATCH_PID]   prints the server's directory; its URL is in DIR/url
#   tests/postgres/server.sh stop DIR            stops it and deletes DIR
#
# `start` installs Debian's `postgresql` with apt when no server binaries are found (CI: a fresh
# Debian machine, run as root), makes a data directory in a new temp dir, and starts the server
# on a free loopback port with its socket in that dir. initdb refuses to run as root, so as root
# the server runs as the `postgres` user. With WATCH_PID, a detached watcher stops the server
# as soon as that process is gone: a test run that is killed (SIGKILL, a closed terminal) leaves
# no server behind, and SIGINT being ignored (`nohup make test`) does not matter either.
set -euo pipefail

die() { echo "tests/postgres/server.sh: $*" >&2; exit 1; }

pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return; fi
    if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
        dirname "$(command -v pg_ctl)"; return
    fi
    return 1
}

as_server_user() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_postgres() {
    [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed; run as root (or: sudo apt-get install -y postgresql)"
    command -v apt-get >/dev/null || die "PostgreSQL is not installed and apt-get is not available"
    echo "tests/postgres/server.sh: installing postgresql with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends postgresql >&2; then
        apt-get update >&2
        apt-get install -y --no-install-recommends postgresql >&2
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

stop() {
    local dir=$1
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    local bin
    bin=$(pg_bin) || true
    if [ -n "${bin:-}" ] && [ -f "$dir/data/postmaster.pid" ]; then
        # immediate: the data is thrown away anyway.
        as_server_user "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    if [ -f "$dir/data/postmaster.pid" ]; then
        local pid
        pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
        [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    fi
    if [ -f "$dir/watcher.pid" ]; then
        local watcher
        watcher=$(cat "$dir/watcher.pid")
        [ "$watcher" != "$$" ] && kill "$watcher" 2>/dev/null || true
    fi
    rm -rf "$dir"
}

start() {
    local watch=${1:-}
    local bin
    bin=$(pg_bin) || { install_postgres; bin=$(pg_bin) || die "no PostgreSQL server binaries after installing"; }
    local dir
    dir=$(mktemp -d "${TMPDIR:-/tmp}/dollr-pg.XXXXXX")
    chmod 755 "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    if ! as_server_user "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-sync >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2; stop "$dir"; die "initdb failed"
    fi
    local port started=
    for _ in 1 2 3 4 5; do
        port=$(free_port)
        if as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
            start >/dev/null 2>&1; then
            started=1; break
        fi
    done
    if [ -z "$started" ]; then cat "$dir/server.log" >&2 || true; stop "$dir"; die "the server did not start"; fi
    echo "postgresql://postgres@127.0.0.1:$port/postgres" > "$dir/url"
    if [ -n "$watch" ]; then
        # Detached (own session, no inherited output pipes) so neither make nor a pipeline
        # waits for it.
        setsid bash "$0" watch "$watch" "$dir" </dev/null >/dev/null 2>&1 &
        echo $! > "$dir/watcher.pid"
    fi
    echo "$dir"
}

watch() {
    local pid=$1 dir=$2
    while kill -0 "$pid" 2>/dev/null && [ -d "$dir" ]; do sleep 1; done
    stop "$dir"
}

case "${1:-}" in
    start) start "${2:-}" ;;
    stop) stop "${2:?usage: server.sh stop DIR}" ;;
    watch) watch "${2:?}" "${3:?}" ;;
    *) die "usage: server.sh start [WATCH_PID] | stop DIR" ;;
esac
