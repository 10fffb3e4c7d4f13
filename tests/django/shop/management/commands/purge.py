"""manage.py purge ID...: Django's own QuerySet.delete() of those authors; prints
what Django reports."""

import json

from django.core.management.base import BaseCommand

from shop.models import Author


class Command(BaseCommand):
    help = "Delete these authors with QuerySet.delete()."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="+", type=int)

    def handle(self, *args, **options):
        deleted, by_model = Author.objects.filter(pk__in=options["ids"]).delete()
        self.stdout.write(json.dumps({"deleted": deleted, "by_model": by_model}, sort_keys=True))
