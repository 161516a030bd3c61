"""Writes and state transitions of flagged items. The item state machine lives here only."""

from django.db import transaction
from django.utils import timezone

from tracker import audit
from tracker.errors import TransitionNotAllowed
from tracker.models import FlaggedItem

Status = FlaggedItem.Status

# from-state -> states it may move to
ITEM_TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.VERIFIED, Status.CLOSED},
    Status.VERIFIED: {Status.IN_NOTICE, Status.CLOSED},
    Status.IN_NOTICE: {Status.REMOVED, Status.RESTRICTED, Status.REFUSED, Status.BLOCKED, Status.CLOSED},
    Status.REFUSED: {Status.IN_NOTICE, Status.BLOCKED, Status.CLOSED},
    Status.REMOVED: {Status.CLOSED},
    Status.RESTRICTED: {Status.CLOSED},
    Status.BLOCKED: {Status.REMOVED, Status.RESTRICTED, Status.CLOSED},
    Status.CLOSED: set(),
}


def change_item_status(item: FlaggedItem, *, to_status: str, actor=None, reason: str = "") -> FlaggedItem:
    """Move an item to `to_status` if the state machine allows it, and audit the move.

    Raises TransitionNotAllowed otherwise. `actor` is None when a task acts.
    """
    with transaction.atomic():
        locked = FlaggedItem.objects.select_for_update().get(pk=item.pk)
        from_status = locked.status
        if to_status not in ITEM_TRANSITIONS[from_status]:
            raise TransitionNotAllowed(
                f"An item that is {locked.get_status_display()} cannot become {Status(to_status).label}.",
                fields={"status": [f"not allowed from {from_status}"]},
            )
        locked.status = to_status
        locked.status_changed_at = timezone.now()
        locked.save(update_fields=["status", "status_changed_at"])
        audit.record_transition(locked, actor=actor, from_state=from_status, to_state=to_status, reason=reason)
    item.status, item.status_changed_at = locked.status, locked.status_changed_at
    return item
