"""Bulk import at scale: 100,000 addresses through the real import path beside a raw COPY of the same items.

The addresses mix Telegram, X, YouTube, Facebook and generic web sites (the names in
../shared/data/blocklists/trustpositif-parent-domains-120k.txt when present); 1 row in 50 repeats an
earlier one and 1 in 200 is not an address. BENCH_IMPORT_ROWS=20000 (say) shrinks it; BENCH_PORTABLE=1
also times the portable (bulk_create) path on the same database. Run with `make bench` against
PostgreSQL (DATABASE_URL). Target: the import at least 1/5 of COPY's rate; printed, not asserted.
"""

import io
import os
import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.factories_imports import csv_upload, mixed_urls, platforms, terrorism
from tests.services import require_postgresql
from tracker.imports import services
from tracker.items.models import FlaggedItem, Sighting

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
GENERIC = ROOT / ".." / "shared" / "data" / "blocklists" / "trustpositif-parent-domains-120k.txt"
ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
PLAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
TARGET = 0.2


def generic_hosts() -> list[str] | None:
    if not GENERIC.exists():
        print(f"({GENERIC} absent: generated generic sites)")
        return None
    return [name for name in GENERIC.read_text().split() if PLAIN.match(name)]


def upload_rows() -> list[list[str]]:
    urls = mixed_urls(ROWS, generic_hosts=generic_hosts())
    rows = []
    for n, url in enumerate(urls):
        if n % 200 == 199:
            rows.append(["javascript:alert(1)"])
        elif n % 50 == 49:
            rows.append([urls[n - 40]])
        else:
            rows.append([url])
    return rows


def timed_import(actor, category, rows) -> tuple[float, object]:
    item_import = services.create_import(
        actor=actor, uploaded_file=csv_upload(rows), default_category=category, default_source="crawler"
    )
    started = time.perf_counter()
    item_import = services.run_import(item_import.pk)
    return time.perf_counter() - started, item_import


def empty_items() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE tracker_flaggeditem, tracker_sighting, tracker_importrejection CASCADE")
        cursor.execute("ANALYZE tracker_flaggeditem")


def test_import_rate_beside_copy(analyst):
    require_postgresql()
    platforms()
    category = terrorism()
    rows = upload_rows()

    seconds, item_import = timed_import(analyst, category, rows)
    assert item_import.status == "done", item_import.error
    items = item_import.imported_count
    assert FlaggedItem.objects.count() == items
    assert Sighting.objects.count() == items + item_import.merged_count
    import_rate = ROWS / seconds
    print(
        f"\nimport of {ROWS:,} rows: {seconds:.1f} s, {import_rate:,.0f} rows/s, {items / seconds:,.0f} new items/s "
        f"({items:,} new, {item_import.merged_count:,} merged, {item_import.rejected_count:,} rejected; "
        f"chunks of {settings.IMPORT_CHUNK_ROWS:,}; items, sightings and audit entries written)"
    )

    columns = [field.column for field in FlaggedItem._meta.concrete_fields if not field.primary_key]
    names = ", ".join(columns)
    buffer = io.BytesIO()
    dump = f"COPY (SELECT {names} FROM tracker_flaggeditem) TO STDOUT"  # noqa: S608 - column names from the model
    with connection.cursor() as cursor, cursor.cursor.copy(dump) as copy:
        for data in copy:
            buffer.write(data)
    empty_items()
    started = time.perf_counter()
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY tracker_flaggeditem ({names}) FROM STDIN") as copy:
        copy.write(buffer.getvalue())
    copy_seconds = time.perf_counter() - started
    assert FlaggedItem.objects.count() == items
    copy_rate = items / copy_seconds
    ratio = (items / seconds) / copy_rate
    print(f"raw COPY of the {items:,} items: {copy_seconds:.2f} s, {copy_rate:,.0f} items/s")
    print(
        f"import / COPY, new items per second: {ratio:.2f} (target >= {TARGET:.2f}): "
        f"{'PASS' if ratio >= TARGET else 'BELOW TARGET'}"
    )

    if os.environ.get("BENCH_PORTABLE"):
        empty_items()
        services_copy_store = services._CopyStore
        services._CopyStore = services._PortableStore
        try:
            portable_seconds, portable = timed_import(analyst, category, rows)
        finally:
            services._CopyStore = services_copy_store
        assert portable.imported_count == items
        print(
            f"portable path (bulk_create) on PostgreSQL: {portable_seconds:.1f} s, "
            f"{ROWS / portable_seconds:,.0f} rows/s, {(items / portable_seconds) / copy_rate:.2f} x COPY"
        )
