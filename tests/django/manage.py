#!/usr/bin/env python3
"""tests/django/manage.py — the Django project of tests/e2e/django_*.sh.

FKPURGE_DJANGO_DB: a SQLite file, or "pg:NAME" for the PostgreSQL database NAME
(host, port and user from libpq's environment, as pg_virtualenv sets them).
contrib/django (the fkpurge_django app) comes onto the path from this tree.
"""

import os
import sys

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:0] = [here, os.path.join(here, "..", "..", "contrib", "django")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
