"""Settings of tests/django (see manage.py): the shop app, contenttypes (for the
GenericForeignKey) and fkpurge_django (the command under test)."""

import os

SECRET_KEY = "tests/django: not a secret"
INSTALLED_APPS = ["django.contrib.contenttypes", "shop", "fkpurge_django"]
_db = os.environ.get("FKPURGE_DJANGO_DB", ":memory:")
if _db.startswith("pg:"):
    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": _db[3:]}}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _db}}
USE_TZ = False
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
