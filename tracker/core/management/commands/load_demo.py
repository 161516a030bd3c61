from django.core.management.base import BaseCommand
from django.db import transaction

from tracker.core import audit
from tracker.core.discovery import app_modules
from tracker.core.models import AuditEntry


class Command(BaseCommand):
    help = "Load the demo data (the Telegram case of 2016-2017). Safe to run twice."
    # Each app's demo.py, lower layers first: platforms before the cases that name them, cases before notices.

    def handle(self, *args, **options):
        with audit.audit_context(AuditEntry.Source.COMMAND, actor_label="load_demo"), transaction.atomic():
            for module in app_modules("demo"):
                module.load(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
