"""Reference numbers of notices: TKD/<year>/<6 digits>, from one upserted counter row per year."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone


def allocate_reference(at: datetime) -> str:
    """The next `TKD/<year>/<6 digits>`; the year's row stays locked until the caller's transaction ends."""
    return allocate_references(at, 1)[0]


def allocate_references(at: datetime, count: int) -> list[str]:
    """`count` consecutive references of the year of `at`, reserved by one upsert of the year's counter row.

    One statement (PostgreSQL, and SQLite 3.35+) whatever `count`: a batch of lapses takes its block of
    numbers with one lock of the row instead of one lock per notice. The row stays locked until the caller's
    transaction ends, so numbers are unique and, since a rolled-back block is given back, gap-free.
    """
    if count <= 0:
        return []
    year = timezone.localtime(at).year
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO "notices_referencesequence" ("year", "last") VALUES (%s, %s) '
            'ON CONFLICT ("year") DO UPDATE SET "last" = "notices_referencesequence"."last" + EXCLUDED."last" '
            'RETURNING "last"',
            [year, count],
        )
        (last,) = cursor.fetchone()
    return [f"TKD/{year}/{number:06d}" for number in range(last - count + 1, last + 1)]
