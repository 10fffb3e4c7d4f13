# shellcheck shell=bash
# scripts/standby.sh — a streaming standby of a running PostgreSQL server, for
# tests/e2e/lag_pg.sh (a primary and a standby of its own) and scripts/bench (a
# standby of its pg_virtualenv cluster for the --max-lag rows). Sourced; defines
# functions only. The server binaries refuse root, so they run as the postgres
# user, and without PGPASSWORD: pg_basebackup -R writes the connection it used
# into the standby's configuration, where a password must not end up.
#
#   pg_server_bin                 the newest /usr/lib/postgresql/*/bin that has
#                                 initdb, pg_ctl and pg_basebackup; nothing if none
#   free_port                     a TCP port of 127.0.0.1 the kernel just found free
#   as_postgres CMD...            CMD as the postgres user, PGPASSWORD unset
#   standby_start BIN CONNINFO DIR PORT NAME
#                                 pg_basebackup of the server at CONNINFO (a
#                                 replication connection, as postgres) into DIR,
#                                 whose parent postgres may write in; then starts
#                                 it on 127.0.0.1:PORT, its socket in DIR's parent,
#                                 streaming as NAME (cluster_name: the
#                                 application_name pg_stat_replication shows).
#                                 Logs: DIR.backup.log, DIR.log. Non-zero and a
#                                 message on stderr if either step failed
#   standby_streaming NAME [SECONDS]
#                                 waits (default 60 s) until the primary (psql's
#                                 environment) shows NAME in pg_stat_replication,
#                                 state 'streaming', replayed up to the primary's
#                                 WAL position of the call; non-zero and what it
#                                 saw on stderr otherwise
#   cluster_stop BIN DIR [MODE]   pg_ctl stop (MODE fast by default) if DIR runs

pg_server_bin() {
    local bin
    bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)
    [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ] && [ -x "$bin/pg_basebackup" ] && echo "$bin"
    return 0
}

free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

as_postgres() {
    runuser -u postgres -- env -u PGPASSWORD "$@"
}

standby_start() {
    local bin=$1 conninfo=$2 dir=$3 port=$4 name=$5
    if ! as_postgres "$bin/pg_basebackup" -d "$conninfo" -D "$dir" -R -X stream -c fast \
        >"$dir.backup.log" 2>&1; then
        echo "pg_basebackup of '$conninfo' failed: $(tail -5 "$dir.backup.log")" >&2
        return 1
    fi
    # A cluster made by pg_createcluster keeps its configuration outside the data
    # directory: the standby then starts from defaults, these and its own pg_hba.conf
    # (local connections of postgres only).
    as_postgres tee -a "$dir/postgresql.conf" >/dev/null <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$(dirname "$dir")'
cluster_name = '$name'
hot_standby = on
wal_receiver_status_interval = 1s
CONF
    if [ ! -f "$dir/pg_hba.conf" ]; then
        echo "local all postgres peer" | as_postgres tee "$dir/pg_hba.conf" >/dev/null
        as_postgres touch "$dir/pg_ident.conf"
    fi
    if ! as_postgres "$bin/pg_ctl" -D "$dir" -l "$dir.log" -w start >/dev/null; then
        echo "the standby did not start: $(tail -5 "$dir.log")" >&2
        return 1
    fi
}

standby_streaming() {
    local name=$1 seconds=${2:-60} lsn seen='' i
    lsn=$(psql -X -q -t -A -c 'SELECT pg_current_wal_lsn()') || return 1
    for ((i = 0; i < seconds * 10; i++)); do
        seen=$(psql -X -q -t -A -F ' ' -c "SELECT state, replay_lsn, replay_lsn >= '$lsn'
            FROM pg_stat_replication WHERE application_name = '$name'") || return 1
        [[ $seen == "streaming "*" t" ]] && return 0
        sleep 0.1
    done
    echo "standby $name not streaming and caught up with $lsn after ${seconds}s;" \
        "pg_stat_replication: ${seen:-no such row}" >&2
    return 1
}

cluster_stop() {
    [ -f "$2/postmaster.pid" ] || return 0
    as_postgres "$1/pg_ctl" -D "$2" -m "${3:-fast}" stop >/dev/null 2>&1
    return 0
}
