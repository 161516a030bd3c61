"""Bulk actions on flagged items: the same rules as one item at a time, over a selection.

Each function takes the selected ids (at most tracker.core.bulk.MAX_IDS), acts on every item the per-item rules allow,
audits each item it changed, and answers with a BulkResult: the ids done and, per refused id, why.
Who may: as the per-item service (verify: `tracker.verify_flaggeditem`, never the one who logged the item;
status and category: `tracker.change_flaggeditem`). A person without the permission is refused outright.

Verify is done set-wise (rows locked, rules checked over `.values()`, one UPDATE, one INSERT of audit
entries) so that 10,000 items go in one request (tests/bench/test_bulk_bench.py); the rarer status and
category changes go through the per-item services, each in its own savepoint.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.core import audit
from tracker.core.bulk import BulkResult, each_record, selection
from tracker.core.errors import require_permission
from tracker.core.models import AuditEntry
from tracker.core.states import claim_state
from tracker.items import services
from tracker.items.models import FlaggedItem

Status = FlaggedItem.Status

# What the list's action bar offers for "Change status to…": verifying is its own action (the four eyes rule).
STATUSES_BY_HAND = [(value, label) for value, label in Status.choices if value not in (Status.NEW, Status.VERIFIED)]


def _not_found(result: BulkResult, chosen: list[int], found) -> None:
    for pk in chosen:
        if pk not in found:
            result.refuse(pk, _("No such item."))


def bulk_verify(*, actor, ids, reason: str = "") -> BulkResult:
    """Verify every selected item that is new and was logged by someone else (the four eyes rule)."""
    require_permission(actor, "tracker.verify_flaggeditem")
    chosen = selection(ids)
    result = BulkResult()
    with transaction.atomic():
        rows = {
            row["id"]: row
            for row in FlaggedItem.objects.select_for_update()
            .filter(pk__in=chosen)
            .order_by("pk")
            .values("id", "status", "logged_by_id", "display")
        }
        labels = dict(Status.choices)
        allowed = []
        for pk in chosen:
            row = rows.get(pk)
            if row is None:
                continue
            if row["logged_by_id"] == actor.pk:
                result.refuse(pk, _("You logged this item: another analyst or a supervisor must verify it."))
            elif row["status"] != Status.NEW:
                result.refuse(
                    pk,
                    _("An item that is %(from)s cannot become %(to)s.")
                    % {"from": labels[row["status"]], "to": labels[Status.VERIFIED]},
                )
            else:
                allowed.append(pk)
        _not_found(result, chosen, rows)
        if allowed:
            now = timezone.now()
            claim_state(
                FlaggedItem.objects.filter(pk__in=allowed),
                to=Status.VERIFIED,
                also={"status_changed_at": now, "verified_by": actor, "verified_at": now},
            )
            audit.record_many(
                [FlaggedItem(pk=pk, display=rows[pk]["display"]) for pk in allowed],
                action=AuditEntry.Action.TRANSITION,
                actor=actor,
                from_state=Status.NEW,
                to_state=Status.VERIFIED,
                reason=reason,
                at=now,
            )
        result.done = allowed
    return result


def _one_by_one(*, ids, act) -> BulkResult:
    return each_record(FlaggedItem.objects.all(), ids=ids, act=act, missing=_("No such item."))


def bulk_transition(*, actor, ids, to_status: str, reason: str = "") -> BulkResult:
    """Move every selected item to `to_status` where its state machine allows it."""
    require_permission(actor, "tracker.change_flaggeditem")
    if to_status == Status.VERIFIED:
        return bulk_verify(actor=actor, ids=ids, reason=reason)
    return _one_by_one(
        ids=ids,
        act=lambda item: services.change_item_status(item, to_status=to_status, actor=actor, reason=reason),
    )


def bulk_change_category(*, actor, ids, category, reason: str = "") -> BulkResult:
    """Give every selected item `category` (urgency raised where the category demands it)."""
    require_permission(actor, "tracker.change_flaggeditem")
    return _one_by_one(
        ids=ids,
        act=lambda item: services.edit_item(item, actor=actor, reason=reason, category=category),
    )
