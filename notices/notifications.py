"""In-app notifications, emailed after commit through the one delivery path. Any app may call `notify`."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from tracker.cases.models import Case

from . import delivery
from .models import Delivery, Notice, Notification


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
        ids = delivery.create_message_deliveries(
            about=notification,
            kind=Delivery.Kind.NOTIFICATION,
            purpose="email",
            reference=f"NTF/{notification.pk}",
            subject=notification.title,
            body=notification.body or notification.title,
            to=[user.email],
            now=notification.created_at,
        )
        transaction.on_commit(lambda: _queue_notification_email(ids))
    return notification


def _queue_notification_email(delivery_ids: list[int]) -> None:
    delivery.enqueue(delivery_ids)
