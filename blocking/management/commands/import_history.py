import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import timezone

from blocking.history_import import HistoryRefused, import_history
from tracker.core import audit
from tracker.core.models import AuditEntry, User


class Command(BaseCommand):
    help = (
        "Import a ministry's history (cases, items, past notices, replies, contacts, past block and lift orders) "
        "from a JSON file through the tracker's services, all or nothing; the format is in "
        "blocking/history_import.py. Orders are left awaiting a second supervisor's approval."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the JSON document")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="who records it all: a supervisor (or analyst+liaison+supervisor)",
        )
        parser.add_argument(
            "--verified-by", required=True, help="another analyst or a supervisor, who verifies the new items"
        )
        parser.add_argument("--dry-run", action="store_true", help="check everything and keep nothing")

    def handle(self, *args, file, username, verified_by, dry_run, **options):
        try:
            document = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
        people = {name: User.objects.filter(username=name, is_active=True).first() for name in (username, verified_by)}
        missing = [name for name, user in people.items() if user is None]
        if missing:
            raise CommandError(f"No active user {', '.join(missing)}: --as and --verified-by name active users.")
        if username == verified_by:
            raise CommandError("--verified-by must be someone else than --as: four eyes on every item.")
        with audit.audit_context(AuditEntry.Source.COMMAND, actor_label="import_history"):
            try:
                done = import_history(
                    document,
                    actor=people[username],
                    verifier=people[verified_by],
                    dry_run=dry_run,
                    report=self.stdout.write,
                )
            except HistoryRefused as refused:
                raise CommandError(f"Nothing imported. {refused}") from None
        self.stdout.write(
            f"{'Would import' if dry_run else 'Imported'} {done.cases} cases ({done.skipped} skipped as present), "
            f"{done.items} items, {done.notices} notices, {done.replies} replies, {done.contacts} contacts, "
            f"{done.blocks} block orders, {done.lifts} lifts."
        )
        if not done.awaiting_approval:
            return
        self.stdout.write(
            ("Would await" if dry_run else "Awaiting")
            + " a second supervisor's approval (password and second-factor code), in this order: each block's "
            "lifts before the block, so names lifted long ago never reach today's list."
        )
        for number, order in enumerate(done.awaiting_approval, start=1):
            what = (
                f"{order.kind} of {order.names} names in {order.case!r}, "
                f"effective {timezone.localtime(order.effective_at):%Y-%m-%d %H:%M %z}"
            )
            if dry_run:  # nothing was kept, so no reference yet
                lifting = ", of the block below" if order.lifts else ""
                self.stdout.write(f"  {number}. {what}{lifting}")
            else:
                lifting = f", lifting {order.lifts}" if order.lifts else ""
                page = reverse("blocking-order-detail", args=[order.pk])
                self.stdout.write(f"  {number}. {order.reference}: {what}{lifting} ({page})")
