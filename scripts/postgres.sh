#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the store's tests (odin-controller's
# store module runs its suite against it when ODIN_TEST_POSTGRES_URL is set).
#
# Usage: scripts/postgres.sh start|stop|status|url
#   start   installs PostgreSQL (Debian's package) if initdb and pg_ctl are
#           missing, creates a cluster under .cache/postgres (as the postgres
#           user when run as root: PostgreSQL refuses to run as root), starts
#           it on 127.0.0.1:$ODIN_PG_PORT (54329), creates the role and the
#           database, and prints the URL to use as ODIN_TEST_POSTGRES_URL on
#           standard output (everything else goes to standard error). A
#           cluster already running is reused.
#   stop    stops the cluster and removes it. Nothing running: nothing done.
#   status  says whether it runs (exit 0) or not (exit 3).
#   url     prints the URL.
# Both start and stop can be run any number of times.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${ODIN_PG_PORT:-54329}"
base="$PWD/.cache/postgres"
data="$base/data"
log="$base/server.log"
# Unix sockets have a short path limit; the project's path may be long.
sockets=/tmp
user=odin
password=odin
database=odin_test
url="postgres://$user:$password@127.0.0.1:$port/$database"

say() { printf 'postgres.sh: %s\n' "$*" >&2; }

# The directory of PostgreSQL's server programs: on PATH, or Debian's
# versioned directory (the newest), or nothing.
bindir() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        # Resolved: a link on PATH may stand alone, away from psql.
        dirname "$(readlink -f "$(command -v pg_ctl)")"
        return
    fi
    local dir
    dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
        echo "$dir"
    fi
}

# Runs a command as the cluster's owner: the postgres user when we are root.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        local runuser
        runuser="$(command -v runuser || echo /usr/sbin/runuser)"
        "$runuser" -u postgres -- "$@"
    else
        "$@"
    fi
}

running() {
    local bin="$1"
    [ -f "$data/PG_VERSION" ] && as_owner "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1
}

start() {
    local bin
    bin="$(bindir)"
    if [ -z "$bin" ]; then
        say "installing PostgreSQL"
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql </dev/null >&2
        bin="$(bindir)"
        if [ -z "$bin" ]; then
            say "PostgreSQL installed, but no initdb and pg_ctl found"
            exit 1
        fi
    fi
    if running "$bin"; then
        say "the cluster in $data is running already"
    else
        # A cluster left by an older run (stopped, or of another version)
        # is thrown away: this one only ever holds test data.
        rm -rf "$data"
        mkdir -p "$base"
        : >"$log"
        if [ "$(id -u)" -eq 0 ]; then
            chown postgres: "$base" "$log"
        fi
        say "creating a cluster in $data ($("$bin/postgres" --version))"
        if ! as_owner "$bin/initdb" -D "$data" -U postgres --auth-local=trust \
            --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1; then
            say "initdb failed:"
            cat "$base/initdb.log" >&2
            exit 1
        fi
        say "starting it on 127.0.0.1:$port (log: $log)"
        if ! as_owner "$bin/pg_ctl" start -D "$data" -l "$log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$sockets -c fsync=off" >&2; then
            say "PostgreSQL did not start; its log:"
            cat "$log" >&2
            exit 1
        fi
    fi
    psql_admin() {
        as_owner "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$sockets" -p "$port" -U postgres -d postgres "$@"
    }
    local have
    have="$(psql_admin -tA -c "SELECT 1 FROM pg_roles WHERE rolname = '$user'")"
    if [ "$have" != 1 ]; then
        psql_admin -c "CREATE ROLE $user LOGIN PASSWORD '$password'" >&2
    fi
    have="$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$database'")"
    if [ "$have" != 1 ]; then
        psql_admin -c "CREATE DATABASE $database OWNER $user" >&2
    fi
    echo "$url"
}

stop() {
    local bin
    bin="$(bindir)"
    if [ -n "$bin" ] && running "$bin"; then
        say "stopping the cluster in $data"
        as_owner "$bin/pg_ctl" stop -D "$data" -m fast -w >&2
    fi
    rm -rf "$data" "$base/initdb.log"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status)
        bin="$(bindir)"
        if [ -n "$bin" ] && running "$bin"; then
            echo "running: $url"
        else
            echo "not running"
            exit 3
        fi
        ;;
    url) echo "$url" ;;
    *)
        echo "usage: $0 start|stop|status|url" >&2
        exit 2
        ;;
esac
