import json
from datetime import UTC, date, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError

from tracker.core import audit_chain


class Command(BaseCommand):
    help = (
        "Write the audit trail's digest of a day (UTC; yesterday by default) as JSON: keep it outside the "
        "tracker (printed, mailed to the inspectorate, on write-once media). verify_audit_trail --digest "
        "checks the trail against it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--day", help="YYYY-MM-DD (UTC)")
        parser.add_argument("--output", help="a file to write; standard output if left out")

    def handle(self, *args, day, output, **options):
        try:
            chosen = date.fromisoformat(day) if day else datetime.now(UTC).date() - timedelta(days=1)
        except ValueError as error:
            raise CommandError(f"--day must be YYYY-MM-DD: {error}") from error
        audit_chain.seal_pending()
        text = json.dumps(audit_chain.daily_digest(chosen), indent=2) + "\n"
        if output:
            with open(output, "w") as handle:
                handle.write(text)
        else:
            self.stdout.write(text)
