"""Reference numbers of notices: TKD/<year>/<6 digits>, from one upserted counter row per year."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone


def allocate_reference(at: datetime) -> str:
    """The next `TKD/<year>/<6 digits>`; the year's row stays locked until the caller's transaction ends.

    One upsert statement (PostgreSQL, and SQLite 3.35+): the row is locked for as short a time as the
    caller's transaction allows, and no round trips are spent creating, locking and re-reading it.
    """
    year = timezone.localtime(at).year
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO "notices_referencesequence" ("year", "last") VALUES (%s, 1) '
            'ON CONFLICT ("year") DO UPDATE SET "last" = "notices_referencesequence"."last" + 1 RETURNING "last"',
            [year],
        )
        (last,) = cursor.fetchone()
    return f"TKD/{year}/{last:06d}"
