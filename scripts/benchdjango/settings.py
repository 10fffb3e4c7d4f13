"""Django settings for scripts/benchdjango: one PostgreSQL database, the shop app.

The database is BENCH_DJANGO_DB; everything else about the connection (host,
port, user, password) comes from libpq's environment (PGHOST, PGPORT, PGUSER,
PGPASSWORD), which pg_virtualenv sets: Django passes only what is set here.
"""

import os

SECRET_KEY = "scripts/bench: not a secret"
INSTALLED_APPS = ["benchdjango"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("BENCH_DJANGO_DB", ""),
    }
}
# customer.created_at is a timestamp without time zone: naive datetimes, no
# conversion (and no warning about naive values).
USE_TZ = False
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
