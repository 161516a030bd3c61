"""manage.py verify_blocklist FILE [--signature FILE.sig] [--public-key KEY]

Checks a blocklist export against its Ed25519 signature. ISPs without the tracker run the same check with
blocking/verify_blocklist.py, a standalone script needing only Python and `cryptography`.
Without --public-key the tracker's own key is used.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from blocking import signing
from blocking.verify_blocklist import load_public_key, verify


class Command(BaseCommand):
    help = "Verify a downloaded blocklist export against its signature (exit status 1 if it does not verify)."

    def add_arguments(self, parser):
        parser.add_argument("export", type=Path)
        parser.add_argument("--signature", type=Path)
        parser.add_argument("--public-key", help="PEM file, or base64 of the 32-byte key; default: this tracker's")

    def handle(self, *args, export, signature, public_key, **options):
        text = public_key or signing.public_key_pem()
        if public_key and Path(public_key).is_file():
            text = Path(public_key).read_text()
        try:
            record = verify(Path(export), Path(signature or f"{export}.sig"), load_public_key(text))
        except ValueError as exc:
            raise CommandError(f"{export}: {exc}") from None
        self.stdout.write(f"OK: {export} is the {record['format']} export of blocklist version {record['serial']}")
