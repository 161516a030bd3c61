"""Write the RPZ primary's configuration (named.conf, keys, zone files) under BLOCKING_BIND_DIR.

Run before named starts (make run, the tracker-named unit's ExecStartPre); the worker rewrites it as ISPs and
keys change. With --push it also brings the running server's zones to the current version.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from blocking import zone_transfer


class Command(BaseCommand):
    help = "Write the DNS server's configuration for the RPZ zones under BLOCKING_BIND_DIR."

    def add_arguments(self, parser):
        parser.add_argument("--push", action="store_true", help="then push the zones to the running server")

    def handle(self, *args, push=False, **options):
        if not settings.BLOCKING_BIND_DIR:
            raise CommandError("BLOCKING_BIND_DIR is empty: zone transfer is off.")
        zone_transfer.write_config()
        self.stdout.write(
            f"Written {zone_transfer.bind_dir() / 'named.conf'}; run: {' '.join(zone_transfer.named_command())}"
        )
        if push:
            try:
                for pushed in zone_transfer.push_zones():
                    self.stdout.write(f"ISP {pushed.isp_id}: serial {pushed.serial} ({pushed.how})")
            except zone_transfer.ZoneTransferError as exc:
                raise CommandError(str(exc)) from exc
