from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

from tracker import audit
from tracker.models import AuditEntry

# Order matters: platforms before the items and cases that name them, cases before notices.
DEMO_MODULES = ("tracker.demo_users", "platforms.demo", "tracker.demo", "notices.demo", "blocking.demo")


class Command(BaseCommand):
    help = "Load the demo data (the Telegram case of 2016-2017). Safe to run twice."

    def handle(self, *args, **options):
        with audit.audit_context(AuditEntry.Source.COMMAND, actor_label="load_demo"), transaction.atomic():
            for module_name in DEMO_MODULES:
                try:
                    module = import_module(module_name)
                except ModuleNotFoundError as exc:
                    if exc.name != module_name:
                        raise
                    continue
                module.load(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
