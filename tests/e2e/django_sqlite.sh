#!/usr/bin/env bash
# django_sqlite.sh — contrib/django's fkpurge_model on SQLite (tests/e2e/django.bash): the
# exact model, `fkpurge validate`, and `fkpurge run` with it leaving Django's own
# QuerySet.delete() end state; the schema is `manage.py migrate`'s (deferred constraints).
# shellcheck source=tests/e2e/django.bash
. "$(dirname "$0")/django.bash"
django_require
DJ_KIND=sqlite

dj_db() { echo "$T/$1.db"; }
dj_fkdb() { dj_db "$1"; }
dj_copy() { cp "$(dj_db "$1")" "$(dj_db "$2")"; }
dj_tables() { sqlite3 "$(dj_db "$1")" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name"; }
dj_rows() { sqlite3 "$(dj_db "$1")" "SELECT * FROM \"$2\"" | LC_ALL=C sort; }

dj_model_checks
run manage base migrate -v0
expect_rc 0 "manage.py migrate"
run manage base seed
expect_rc 0 "manage.py seed"
dj_copy base fkpurge
dj_purge_checks base fkpurge
