# shellcheck shell=bash
# tests/e2e/django.bash — sourced by django_sqlite.sh and django_pg.sh: contrib/django's
# `manage.py fkpurge_model` on the project of tests/django. Its output and warnings equal
# tests/django/expected.{yaml,warnings} exactly, `fkpurge validate` loads it, an app
# selection writes the tables its keys reference and warns about keys into it; then on rows
# made through the ORM, Django's own QuerySet.delete() of two authors and `fkpurge run` of
# the same authors with that model leave every table with the same rows, and both refuse
# to delete an author a PROTECT key holds.
#
# The caller sets DJ_KIND (sqlite or pg) and defines: dj_db NAME (the FKPURGE_DJANGO_DB of
# that database), dj_fkdb NAME (fkpurge's --db), dj_copy FROM TO, dj_tables NAME (its
# tables, one a line) and dj_rows NAME TABLE (its rows as text, one a line, sorted).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PY=/usr/bin/python3
PROJECT=$FKPURGE_SRC/tests/django

# django_require: Debian's python3-django, which scripts/test installs (scripts/lib.sh): a
# failure there (FKPURGE_REQUIRE_PG=1), a skip where nothing installs it.
django_require() {
    if ! [ -x "$PY" ] || ! "$PY" -c 'import django' 2>/dev/null; then
        [ "${FKPURGE_REQUIRE_PG:-0}" = 1 ] && fail "python3-django is required (apt-get install python3-django)"
        echo "SKIP: Debian's python3-django is not installed" >&2
        exit 77
    fi
}

# manage NAME ARGS...: tests/django's manage.py on database NAME.
manage() {
    local name=$1
    shift
    env FKPURGE_DJANGO_DB="$(dj_db "$name")" "$PY" "$PROJECT/manage.py" "$@"
}

# dj_same A B WHAT: every table of A holds the same rows as in B.
dj_same() {
    local t
    dj_tables "$1" >"$T/tables.a"
    dj_tables "$2" >"$T/tables.b"
    cmp -s "$T/tables.a" "$T/tables.b" || fail "$3: the tables differ: $(diff "$T/tables.a" "$T/tables.b")"
    [ "$(grep -c '^shop_' "$T/tables.a")" = 15 ] || fail "$3: not the shop's 15 tables: $(cat "$T/tables.a")"
    while read -r t; do
        dj_rows "$1" "$t" >"$T/rows.a"
        dj_rows "$2" "$t" >"$T/rows.b"
        cmp -s "$T/rows.a" "$T/rows.b" ||
            fail "$3: table $t differs from Django's end state:
$(diff "$T/rows.a" "$T/rows.b")"
    done <"$T/tables.a"
}

dj_model_checks() {
    run manage model fkpurge_model
    expect_rc 0 "fkpurge_model"
    expect_file_eq "$T/out" "$(cat "$PROJECT/expected.yaml")"
    expect_file_eq "$T/err" "$(cat "$PROJECT/expected.warnings")"
    cp "$T/out" "$T/model.yaml"
    run "$FKPURGE" validate "$T/model.yaml"
    expect_rc 0 "fkpurge validate of fkpurge_model's output"
    expect_grep '^edges: 18 (cascade 11, set_null 1, set_default 2, protect 2, restrict 1, do_nothing 1)$' "$T/out"

    # One app: its tables and those its keys reference; keys into it from elsewhere warned.
    run manage model fkpurge_model contenttypes
    expect_rc 0 "fkpurge_model contenttypes"
    expect_file_eq "$T/out" "# fkpurge model written by manage.py fkpurge_model (contrib/django)
version: 1
tables:
  django_content_type:  # contenttypes.ContentType
    primary_key: id"
    expect_file_eq "$T/err" "fkpurge_model: warning: shop.Note.content_type: references django_content_type but its app is not selected: fkpurge will not follow it (name its app too)"
    run manage model fkpurge_model shop
    expect_rc 0 "fkpurge_model shop"
    expect_grep '^  django_content_type:  # contenttypes.ContentType, referenced only: its own keys are not listed$' "$T/out"
    run manage model fkpurge_model --help
    expect_rc 0 "fkpurge_model --help"
    expect_grep 'SET(callable)' "$T/out"
    run manage model fkpurge_model nosuchapp
    expect_rc 1 "fkpurge_model of an unknown app"
    expect_grep "No installed app with label 'nosuchapp'" "$T/err"
}

# dj_purge_checks BASE: BASE is migrated and seeded. Django purges a copy, fkpurge purges
# the others (each of "$@" after BASE, made by the caller or here by dj_copy).
dj_purge_checks() {
    local base=$1 copy
    shift
    dj_copy "$base" django
    run manage django purge 4 5
    expect_rc 0 "Django's QuerySet.delete()"
    expect_file_eq "$T/out" '{"by_model": {"shop.Author": 2, "shop.Badge": 2, "shop.Book": 4, "shop.Book_tags": 8, "shop.Place": 4, "shop.Restaurant": 2, "shop.Review": 16, "shop.Shelf": 4, "shop.Song": 4}, "deleted": 46}'
    for copy in "$@"; do
        run "$FKPURGE" run --model "$T/model.yaml" --db "$(dj_fkdb "$copy")" --table shop_author \
            --where "id IN (4, 5)" --yes --quiet --format json --journal "$T/$copy.journal"
        expect_rc 0 "fkpurge run on $copy"
        expect_eq "$("$PY" -c 'import json,sys; r=json.load(sys.stdin); print(r["totals"]["deleted"], r["totals"]["updated"])' <"$T/out")" \
            "46 7" "$copy: fkpurge's deleted and updated totals"
        dj_same django "$copy" "$DJ_KIND $copy"
    done

    # PROTECT: author 2 has a contract; Django raises, fkpurge refuses (exit 3), both delete nothing.
    dj_copy "$base" protect_django
    dj_copy "$base" protect_fkpurge
    run manage protect_django purge 2
    expect_rc 1 "Django's delete() of a protected author"
    expect_grep 'ProtectedError' "$T/err"
    run "$FKPURGE" run --model "$T/model.yaml" --db "$(dj_fkdb protect_fkpurge)" --table shop_author \
        --where "id = 2" --yes --quiet --journal "$T/protect.journal"
    expect_rc 3 "fkpurge run of a protected author"
    dj_same "$base" protect_django "$DJ_KIND: Django's refused delete"
    dj_same "$base" protect_fkpurge "$DJ_KIND: fkpurge's refused run"
}
