"""Blocklist at national scale: RPZ export rate and peak memory beside a raw COPY, and the cost of a diff.

10,000,000 names in force by default (the real names in ../shared/data/blocklists plus generated ones);
BENCH_NAMES=1000000 (say) shrinks it. Run with `make bench` against PostgreSQL (DATABASE_URL).
The export runs in a child process so its peak resident memory is measured alone.
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from blocking import exports, services
from blocking.models import BlocklistChange, BlocklistEntry, BlocklistVersion, BlockOrder
from tests.services import require_postgresql
from tracker.core.dns_names import BlockedName

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / ".." / "shared" / "data" / "blocklists"
NAMES = int(os.environ.get("BENCH_NAMES", "10000000"))
PLAIN = re.compile(r"^[a-z0-9_.-]+$")

CHILD = r"""
import json, os, sys, time
import django


def peak_mb():
    # VmHWM: this process's peak resident memory (ru_maxrss would carry the forking parent's over exec).
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024


django.setup()
from django.db import connection
from blocking import exports

result = {"rss_at_start_mb": peak_mb()}
with connection.cursor() as cursor, open(os.devnull, "wb") as sink:
    started = time.perf_counter()
    with cursor.cursor.copy("COPY (SELECT name FROM blocking_blocklistentry) TO STDOUT") as copy:
        for data in copy:
            sink.write(data)
    result["copy_seconds"] = time.perf_counter() - started
result["rss_after_copy_mb"] = peak_mb()
started = time.perf_counter()
export = exports.get_export("rpz")
result["export_seconds"] = time.perf_counter() - started
result["export_bytes"] = export.path.stat().st_size
result["export_path"] = str(export.path)
result["peak_rss_mb"] = peak_mb()
print(json.dumps(result))
"""


def real_names() -> list[str]:
    if not SHARED.exists():
        print(f"({SHARED} absent: generated names only)")
        return []
    found = set()
    for path in sorted(SHARED.glob("*.txt")):
        if path.name == "README.txt":
            continue
        for line in path.read_text().splitlines():
            name = line.strip().lower().rstrip(".")
            if name and PLAIN.match(name) and "." in name and ".." not in name:
                found.add(name)
    return sorted(found)


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_rpz_export_rate_and_memory_beside_copy_and_a_small_diff(supervisor):
    require_postgresql()
    now = timezone.now()
    order = BlockOrder.objects.create(
        reference="BO-BENCH",
        justification="bench",
        legal_basis="bench",
        effective_at=now,
        proposed_by=supervisor,
        status=BlockOrder.Status.IN_FORCE,
    )
    real = real_names()[:NAMES]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            "COPY blocking_blocklistentry (name, subtree, order_id, since_serial) FROM STDIN"
        ) as copy:
            for name in real:
                copy.write(f"{name}\tf\t{order.pk}\t1\n")
        cursor.execute(
            "INSERT INTO blocking_blocklistentry (name, subtree, order_id, since_serial)"
            " SELECT 'n' || g || '.bench' || (g %% 997) || '.example', g %% 10 = 0, %s, 1"
            " FROM generate_series(1, %s) g",
            [order.pk, NAMES - len(real)],
        )
        # Version 1's history: one change row per name, so a diff that scanned the table would show it.
        cursor.execute(
            "INSERT INTO blocking_blocklistchange (serial, name, subtree, added, order_id)"
            " SELECT 1, name, subtree, true, order_id FROM blocking_blocklistentry"
        )
        cursor.execute("ANALYZE blocking_blocklistentry; ANALYZE blocking_blocklistchange")
    BlocklistVersion.objects.create(serial=1, order=order, names_in_force=NAMES, added=NAMES)
    print(f"\nloaded {NAMES:,} names ({len(real):,} real) in {time.perf_counter() - started:.0f} s")

    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "tracker.conf.settings"}
    child = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    lines = NAMES + NAMES // 10  # subtrees give two lines
    copy_rate = NAMES / result["copy_seconds"]
    export_rate = NAMES / result["export_seconds"]
    print(f"raw COPY of the names:  {result['copy_seconds']:.1f} s, {copy_rate:,.0f} names/s")
    print(
        f"signed RPZ export:      {result['export_seconds']:.1f} s, {export_rate:,.0f} names/s "
        f"({lines:,} lines, {result['export_bytes'] / 1e6:,.0f} MB), {export_rate / copy_rate:.2f} x COPY's rate "
        f"(target >= 0.33)"
    )
    print(
        f"export peak memory:     {result['peak_rss_mb']:.0f} MB resident, whole process (target < 200 MB); "
        f"{result['rss_at_start_mb']:.0f} MB after Django started, {result['rss_after_copy_mb']:.0f} MB after the COPY"
    )

    removed = [BlockedName(name) for name in real[:500]] or [
        BlockedName(f"n{i}.bench{i % 997}.example") for i in range(1, 501)
    ]
    added = [BlockedName(f"new{i}.bench-diff.example") for i in range(500)]
    started = time.perf_counter()
    from django.db import transaction

    with transaction.atomic():
        services.change_blocklist(order=order, add=added, remove=removed)
    change_seconds = time.perf_counter() - started
    started = time.perf_counter()
    diff = exports.get_diff(1, 2)
    diff_seconds = time.perf_counter() - started
    diff_lines = diff.path.read_text().count("\n") - 1
    query = str(exports.diff_rows(1, 2).query)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {query}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print(f"change of 1,000 names:  {change_seconds * 1000:.0f} ms (new version 2)")
    print(
        f"signed diff v1 -> v2:   {diff_seconds * 1000:.0f} ms, {diff_lines:,} lines, over {NAMES + 1000:,} change rows"
    )
    print("diff plan: " + " | ".join(line.strip() for line in plan.splitlines()[:6]))
    assert diff_lines == 1000
    assert "blocklistchange_serial" in plan
    Path(result["export_path"]).unlink()
    assert BlocklistEntry.objects.count() == NAMES
    assert BlocklistChange.objects.filter(serial=2).count() == 1000
    assert settings.VAR_DIR
