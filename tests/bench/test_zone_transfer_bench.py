"""The blocklist by zone transfer at national scale: a 1,000-name change reaching an ISP's resolver by IXFR,
timed beside the full AXFR of the same zone.

10,000,000 names in one ISP's zone by default; BENCH_ZONE_NAMES=1000000 (say) shrinks it. Real BIND on loopback:
the tracker's primary and an ISP's BIND resolver (examples/bind-response-policy.conf). Run with `make bench`
against PostgreSQL (DATABASE_URL). Needs memory: BIND holds the zone twice (primary and resolver).
"""

import os
import time

import dns.query
import dns.tsig
import dns.tsigkeyring
import pytest
from django.db import connection, transaction
from django.utils import timezone

from blocking import blocklist, exports, services, zone_transfer
from blocking.models import BlocklistVersion, BlockOrder, OrderRecipient, ZoneTransfer
from tests.blocking.bind import Primary, Resolver
from tests.factories_blocking import ISPFactory
from tests.services import require_postgresql
from tracker.core.dns_names import BlockedName

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

NAMES = int(os.environ.get("BENCH_ZONE_NAMES", "10000000"))
CHANGE = 1000


def wait_until(check, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    pytest.fail(f"not done after {seconds:.0f} s")


def test_a_thousand_name_change_reaches_the_resolver_by_ixfr_beside_a_full_axfr(
    settings, supervisor, administrator, tmp_path
):
    require_postgresql()
    settings.BLOCKING_BIND_TIMEOUT = 120
    now = timezone.now()
    isp = ISPFactory(name="Telkom")
    order = BlockOrder.objects.create(
        reference="BO-BENCH",
        justification="bench",
        legal_basis="bench",
        effective_at=now,
        proposed_by=supervisor,
        status=BlockOrder.Status.IN_FORCE,
    )
    OrderRecipient.objects.create(order=order, isp=isp, acknowledge_due_at=now, implement_due_at=now)
    isps = blocklist.isp_set(frozenset({isp.pk}))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO blocking_blocklistperiod (name, subtree, order_id, isps_id, since, since_serial, opened_by_id)"
            " SELECT 'n' || g || '.bench' || (g %% 997) || '.example', g %% 10 = 0, %s, %s, %s, 1, %s"
            " FROM generate_series(1, %s) g",
            [order.pk, isps.pk, now, order.pk, NAMES],
        )
        cursor.execute("ANALYZE blocking_blocklistperiod")
    BlocklistVersion.objects.create(serial=1, order=order, names_in_force=NAMES, added=NAMES)
    print(f"\nloaded {NAMES:,} names in one ISP's list in {time.perf_counter() - started:.0f} s")

    key = zone_transfer.rotate_key(isp=isp, actor=administrator)
    primary = Primary(settings, tmp_path / "primary")
    started = time.perf_counter()
    zone_transfer.write_config()
    zone_bytes = zone_transfer.zone_file(isp).stat().st_size
    print(f"zone file written:      {time.perf_counter() - started:.1f} s, {zone_bytes / 1e6:,.0f} MB")
    with primary:
        load = wait_until(lambda: zone_transfer.served_serial(isp) == 1, seconds=1800)
        print(f"primary loaded it:      {load:.1f} s after its control channel answered")
        keyring = dns.tsigkeyring.from_text({key.name: (dns.tsig.HMAC_SHA256, key.secret)})
        started = time.perf_counter()
        records = sum(
            len(message.answer)
            for message in dns.query.xfr(
                "127.0.0.1",
                f"{zone_transfer.zone_name(isp)}.",
                port=primary.port,
                keyring=keyring,
                keyname=key.name,
                lifetime=3600,
            )
        )
        axfr = time.perf_counter() - started
        print(f"full AXFR (dnspython):  {axfr:.1f} s, {records:,} RRsets (parsed in Python: slower than a resolver)")
        resolver = Resolver(
            tmp_path / "resolver", isp_id=isp.pk, key_name=key.name, secret=key.secret, primary_port=primary.port
        )
        started = time.perf_counter()
        with resolver:
            resolver.register_for(isp, serial=1, seconds=3600)
            resolver_axfr = time.perf_counter() - started
            print(f"resolver's first AXFR:  {resolver_axfr:.1f} s from its start, policy zone loaded")

            exact = [i for i in range(1, CHANGE) if i % 10][: CHANGE // 2]  # every tenth name is a subtree
            removed = [BlockedName(f"n{i}.bench{i % 997}.example") for i in exact]
            added = [BlockedName(f"new{i}.bench-change.example") for i in range(CHANGE // 2)]
            with transaction.atomic():
                services.change_blocklist(order=order, add=added, remove=removed)
            started = time.perf_counter()
            pushed = zone_transfer.push_zones()
            push = time.perf_counter() - started
            ixfr = resolver.wait_for_serial(2, seconds=600)
            print(f"push of {CHANGE:,} names:     {push:.2f} s ({pushed[0].how}, {pushed[0].names:,} names)")
            print(f"IXFR to resolver:       {ixfr:.2f} s after the push (the resolver's AXFR: {resolver_axfr:.1f} s)")
        zone_transfer.record_transfers()
    kinds = dict(ZoneTransfer.objects.filter(isp=isp).values_list("serial", "kind"))
    print(f"transfers recorded:     {kinds}")
    assert pushed[0].how == "update" and pushed[0].names == CHANGE
    assert kinds.get(2) == "IXFR"
    assert exports.current_serial() == 2
