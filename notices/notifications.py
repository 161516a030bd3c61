"""In-app notifications, emailed after commit through the one delivery path. Any app may call `notify`."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.cases.models import Case
from tracker.core.models import Role, User

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


def notify_many(notifications: list[Notification]) -> list[Notification]:
    """`notify` for many unsaved notifications at once (a batch of lapses): the notifications in one INSERT,
    the emails' deliveries in another, queued after commit."""
    for notification in notifications:
        notification.title, notification.link = notification.title[:300], notification.link[:300]
    Notification.objects.bulk_create(notifications)
    deliveries = []
    for notification in notifications:
        if notification.user.email:
            deliveries.extend(
                delivery.message_deliveries(
                    about=notification,
                    kind=Delivery.Kind.NOTIFICATION,
                    purpose="email",
                    reference=f"NTF/{notification.pk}",
                    subject=notification.title,
                    body=notification.body or notification.title,
                    to=[notification.user.email],
                    now=notification.created_at,
                )
            )
    if deliveries:
        ids = [row.pk for row in Delivery.objects.bulk_create(deliveries)]
        transaction.on_commit(lambda: _queue_notification_emails(ids))
    return notifications


def _queue_notification_email(delivery_ids: list[int]) -> None:
    delivery.enqueue(delivery_ids)


def _queue_notification_emails(delivery_ids: list[int]) -> None:
    delivery.enqueue_batches(delivery_ids)


def tell_supervisors_of_changed_powers(sender, *, event: str, user, grant=None, reason: str = "", **kwargs) -> None:
    """The receiver of accounts' `powers_changed`: every active supervisor hears who gains which power."""
    role = grant.role if grant is not None else "superuser"
    titles = {
        "requested": _("%(user)s is proposed as %(role)s; a second administrator must confirm"),
        "confirmed": _("%(user)s is now %(role)s"),
        "break_glass": _("A break-glass superuser was created: %(user)s"),
        "break_glass_ended": _("The break-glass superuser %(user)s was ended"),
    }
    title = titles[event] % {"user": user.username, "role": role}
    body = grant.reason if grant is not None else reason
    for supervisor in User.objects.filter(groups__name=Role.SUPERVISOR, is_active=True).exclude(pk=user.pk):
        notify(supervisor, kind=Notification.Kind.POWERS_CHANGED, case=None, notice=None, title=title, body=body)
