"""Bulk verify at scale: 10,000 new items verified through the API in one request, audited per item.

Run with `make bench` (or `pytest tests/bench/test_bulk_bench.py --run-bench -s`) against PostgreSQL
(DATABASE_URL). BENCH_BULK_ITEMS=2000 (say) shrinks it. Target (issue 14): under 10 s; printed, not asserted.
"""

import os
import time

import pytest
from django.utils import timezone

from tests.factories import CategoryFactory, PlatformFactory, make_user
from tests.services import require_postgresql
from tracker.core.models import AuditEntry
from tracker.items.models import FlaggedItem

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

ITEMS = int(os.environ.get("BENCH_BULK_ITEMS", "10000"))
TARGET_SECONDS = 10.0


def test_bulk_verify_of_ten_thousand_items_in_one_request(api_client):
    require_postgresql()
    logger, verifier = make_user("analyst"), make_user("analyst")
    platform, category = PlatformFactory(), CategoryFactory()
    now = timezone.now()
    FlaggedItem.objects.bulk_create(
        [
            FlaggedItem(
                canonical=f"https://t.me/bulk{n}",
                display=f"https://t.me/bulk{n}",
                entered_as=f"https://t.me/bulk{n}",
                kind=FlaggedItem.Kind.CHANNEL,
                platform=platform,
                host="t.me",
                category=category,
                urgency="urgent",
                source=FlaggedItem.Source.CRAWLER,
                logged_by=logger,
                logged_at=now,
            )
            for n in range(ITEMS)
        ],
        batch_size=2000,
    )
    ids = list(FlaggedItem.objects.values_list("pk", flat=True))
    audited_before = AuditEntry.objects.count()
    api_client.force_authenticate(verifier)

    started = time.perf_counter()
    response = api_client.post("/api/v1/items/bulk/", {"action": "verify", "ids": ids}, format="json")
    elapsed = time.perf_counter() - started

    assert response.status_code == 200, response.content[:300]
    body = response.json()
    written = AuditEntry.objects.count() - audited_before
    print(
        f"\nbulk verify: {len(body['done'])} items verified, {len(body['refused'])} refused, in {elapsed:.2f} s "
        f"({len(ids) / elapsed:,.0f} items/s); {written} audit entries written (target under {TARGET_SECONDS:.0f} s)"
    )
    assert len(body["done"]) == ITEMS and written == ITEMS
    assert FlaggedItem.objects.filter(status=FlaggedItem.Status.VERIFIED).count() == ITEMS
