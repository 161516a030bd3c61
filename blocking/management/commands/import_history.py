import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from blocking.history_import import HistoryRefused, import_history
from tracker.core import audit
from tracker.core.models import AuditEntry, User


class Command(BaseCommand):
    help = (
        "Import a ministry's history (cases, items, past notices, replies, contacts, past orders) from a JSON "
        "file through the tracker's services; see blocking/history_import.py for the format. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--as", dest="username", required=True, help="who records it (a supervisor)")
        parser.add_argument("--verified-by", required=True, help="a second analyst or supervisor, who verifies")
        parser.add_argument("--dry-run", action="store_true", help="check everything, keep nothing")

    def handle(self, *args, file, username, verified_by, dry_run, **options):
        try:
            document = json.loads(Path(file).read_text())
            actor = User.objects.get(username=username, is_active=True)
            verifier = User.objects.get(username=verified_by, is_active=True)
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
        except User.DoesNotExist:
            raise CommandError("--as and --verified-by must name active users.") from None
        with audit.audit_context(AuditEntry.Source.COMMAND, actor_label="import_history"):
            try:
                done = import_history(
                    document, actor=actor, verifier=verifier, dry_run=dry_run, report=self.stdout.write
                )
            except HistoryRefused as refused:
                raise CommandError(f"Nothing imported. {refused}") from None
        self.stdout.write(
            f"{'Would import' if dry_run else 'Imported'} {done.cases} cases ({done.skipped} skipped as present), "
            f"{done.items} items, {done.notices} notices, {done.replies} replies, {done.contacts} contacts."
        )
        if done.awaiting_approval and not dry_run:
            self.stdout.write("Awaiting a second supervisor's approval, in this order:")
            for order in done.awaiting_approval:
                self.stdout.write(
                    f"  {order.reference} ({order.kind}, effective {order.effective_at:%Y-%m-%d %H:%M %Z})"
                )
