#!/usr/bin/env bash
# django_pg.sh — contrib/django's fkpurge_model on PostgreSQL (tests/e2e/django.bash): the
# exact model, `fkpurge validate`, and `fkpurge run` with it leaving Django's own
# QuerySet.delete() end state, on `manage.py migrate`'s schema (Django's DEFERRABLE
# INITIALLY DEFERRED keys) and on a copy whose keys are made plain (NOT DEFERRABLE).
# shellcheck source=tests/e2e/django.bash
. "$(dirname "$0")/django.bash"
pg_require
psycopg2_require
django_require
DJ_KIND=pg
PRE=fkpurge_django_$$_
made=()
drop_made() {
    local d
    for d in "${made[@]}"; do
        psql -XqtAc "DROP DATABASE IF EXISTS \"$d\"" >/dev/null 2>&1 || true
    done
    rm -rf "$T"
}
trap drop_made EXIT

dj_db() { echo "pg:$PRE$1"; }
dj_fkdb() { echo "dbname=$PRE$1"; }
dj_copy() {
    made+=("$PRE$2")
    psql -XqtAc "CREATE DATABASE \"$PRE$2\" TEMPLATE \"$PRE$1\"" >/dev/null
}
dj_tables() {
    psql_db "$PRE$1" -c "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
}
dj_rows() { psql_db "$PRE$1" -c "COPY \"$2\" TO STDOUT" | LC_ALL=C sort; }

dj_model_checks
made+=("${PRE}base")
pg_fresh_db "${PRE}base"
run manage base migrate -v0
expect_rc 0 "manage.py migrate"
run manage base seed
expect_rc 0 "manage.py seed"
[ "$(psql_db "${PRE}base" -c "SELECT count(*) FILTER (WHERE condeferrable AND condeferred) || ' of ' || count(*)
    FROM pg_constraint WHERE contype = 'f'")" = "16 of 16" ] || fail "precondition: Django's keys are not all deferred"
dj_copy base deferred
dj_copy base plain
psql_db "${PRE}plain" <<'SQL'
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT conrelid::regclass AS t, conname FROM pg_constraint WHERE contype = 'f' LOOP
        EXECUTE format('ALTER TABLE %s ALTER CONSTRAINT %I NOT DEFERRABLE', r.t, r.conname);
    END LOOP;
END $$;
SQL
[ "$(psql_db "${PRE}plain" -c "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT condeferrable")" = 16 ] ||
    fail "precondition: the plain copy's keys are still deferrable"
dj_purge_checks base deferred plain
