import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tracker.core import audit_chain


class Command(BaseCommand):
    help = (
        "Seal what is unsealed, then recompute the audit trail's hash chain and name the first broken link. "
        "With --digest, also check the chain against daily digests kept outside the tracker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--digest", action="append", default=[], help="a digest file from audit_digest")

    def handle(self, *args, digest, **options):
        sealed = audit_chain.seal_pending()
        result = audit_chain.verify()
        if result.first_broken is not None:
            raise CommandError(
                f"The audit trail is broken at entry {result.first_broken}: {result.problem}. "
                f"{result.checked} entries before it hold."
            )
        for path in digest:
            try:
                kept = json.loads(Path(path).read_text())
            except (OSError, ValueError) as error:
                raise CommandError(f"Cannot read the digest {path}: {error}") from error
            if not audit_chain.matches_digest(kept):
                raise CommandError(
                    f"The audit trail does not match the digest of {kept.get('day')} ({path}): link "
                    f"{kept.get('head_seal')} should end in {kept.get('head_hash')}. The trail was rewritten."
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"The audit trail is intact: {result.checked} entries chained ({sealed} sealed now), "
                f"{len(digest)} digests match."
            )
        )
