"""python3 -m benchdjango.purge DBNAME FIELD=VALUE...

With scripts/ on PYTHONPATH: deletes Customer.objects.filter(FIELD=VALUE, ...)
through Django's QuerySet.delete() (its deletion collector: every doomed object
is loaded, SET_NULL referencers updated, all in one transaction, which the
deferred constraints of scripts/bench's 'deferrable' shop let through), as an
application would, and prints what Django reports as JSON:
{"deleted": N, "by_model": {"benchdjango.Customer": N, ...}}.
scripts/bench times this process (wall time, peak RSS) and checks the end state.
"""

import json
import os
import sys


def main():
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    os.environ["BENCH_DJANGO_DB"] = sys.argv[1]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchdjango.settings")
    import django

    django.setup()
    from benchdjango.models import Customer

    where = dict(arg.split("=", 1) for arg in sys.argv[2:])
    deleted, by_model = Customer.objects.filter(**where).delete()
    json.dump({"deleted": deleted, "by_model": by_model}, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
