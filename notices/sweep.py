"""The sweep's claim: due notices leased to their tasks in one indexed query (see tasks.run_sweep)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tracker.core.actors import SWEEP

from .models import Notice

SWEEP_LABEL = SWEEP.name


def sweep_lease() -> timedelta:
    """How long a claimed piece of work stays with its task before the sweep hands it out again."""
    return timedelta(seconds=settings.NOTICES_SWEEP_LEASE_SECONDS)


def claim_due_notices(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Step 1 of the sweep: lease the due notices to their tasks, in one indexed query and one update.

    A leased notice is due again after `sweep_lease()`, so a task lost with Redis or a killed worker is
    handed out again; `advance_notice` sets the real next time when it runs.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Notice.objects.select_for_update(skip_locked=True)
            .filter(next_action_at__lte=now)
            .order_by("next_action_at")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Notice.objects.filter(pk__in=ids).update(next_action_at=now + sweep_lease())
    return ids
