"""In-app notifications, emailed after commit. Any app may call `notify`."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from tracker.cases.models import Case

from .models import (
    Notice,
    Notification,
)


def notify(
    user,
    *,
    kind: str,
    case: Case | None,
    notice: Notice | None,
    title: str,
    body: str = "",
    link: str = "",
    now=None,
) -> Notification:
    """An in-app notification for `user`, emailed after commit if they have an address. Any app may call it."""
    notification = Notification.objects.create(
        user=user,
        kind=kind,
        case=case,
        notice=notice,
        title=title[:300],
        body=body,
        link=link[:300],
        created_at=now or timezone.now(),
    )
    if user.email:
        transaction.on_commit(lambda: _queue_notification_email(notification.pk))
    return notification


def _queue_notification_email(notification_id: int) -> None:
    from .tasks import send_notification_email

    send_notification_email.delay(notification_id)
