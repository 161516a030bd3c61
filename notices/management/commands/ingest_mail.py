"""Hand raw RFC 822 messages to the tracker: files saved from a mail program, or one message on stdin."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from notices import inbound
from notices.models import InboundMail
from tracker.core import audit
from tracker.core.actors import COMMAND
from tracker.core.errors import DomainError
from tracker.core.models import AuditEntry


class Command(BaseCommand):
    help = (
        "Ingest raw email messages (.eml files, or - for one message on standard input): each is kept, "
        "matched to its notice or put in the triage queue. Prints what became of each."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files holding one raw message each, or - for stdin")

    def handle(self, *args, paths, **options):
        missing = [path for path in paths if path != "-" and not Path(path).is_file()]
        if missing:
            raise CommandError("Not a readable file: " + ", ".join(missing))
        if paths.count("-") > 1:
            raise CommandError("Standard input can be read once: give - at most once.")
        failed = 0
        with audit.audit_context(AuditEntry.Source.COMMAND, actor_label="ingest_mail"):
            for path in paths:
                name = "<stdin>" if path == "-" else path
                try:
                    raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
                    mail = inbound.ingest_message(raw, source=InboundMail.Source.COMMAND, actor=COMMAND)
                except (OSError, DomainError) as exc:
                    failed += 1
                    self.stderr.write(f"{name}: {getattr(exc, 'message', None) or exc}")
                    continue
                self.stdout.write(f"{name}: inbound email {mail.pk}: {inbound.outcome_of(mail)}")
        if failed:
            raise CommandError(f"{failed} of {len(paths)} message(s) could not be ingested.")
