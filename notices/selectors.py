"""Reads of notices that pages and the API share: the liaison officer's desk, lists and one notice whole.

Each selector runs a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from django.db import connections, router
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tracker.core.deadlines import DeadlineRule, InvalidDeadlineRule
from tracker.core.prepared import read_row

from .models import (
    Delivery,
    DeliveryReport,
    InboundMail,
    Notice,
    NoticeItem,
    Notification,
    PlatformReply,
    Rebuttal,
    Sanction,
)

HOME_ROWS = 50


def notices() -> QuerySet[Notice]:
    """Notices with what every list shows about them."""
    return Notice.objects.select_related("case__platform", "step", "recorded_by")


def awaiting_reply() -> QuerySet[Notice]:
    """Notices awaiting a reply: the most overdue first, then the nearest deadline (index status, deadline_at)."""
    return notices().filter(status__in=Notice.AWAITING_REPLY).order_by("deadline_at", "id")


def prepared() -> QuerySet[Notice]:
    return notices().filter(status=Notice.Status.PREPARED).order_by("prepared_at", "id")


def unread_notifications(user) -> QuerySet[Notification]:
    # index notification_user_unread: (user, read_at, created_at)
    return Notification.objects.filter(user=user, read_at__isnull=True)


@functools.cache
def _unread_count_statement(alias: str) -> str:
    quote_name = connections[alias].ops.quote_name
    user, read_at = (quote_name(Notification._meta.get_field(name).column) for name in ("user", "read_at"))
    table = quote_name(Notification._meta.db_table)
    return f"SELECT count(*) FROM {table} WHERE {user} = %s AND {read_at} IS NULL"  # noqa: S608 - model names


def unread_count(user) -> int:
    """unread_notifications(user).count(), by a statement prepared once per database session: every page shows it
    beside the person's name (tracker/core/prepared.py)."""
    connection = connections[router.db_for_read(Notification)]
    return read_row(
        connection, "tracker_unread_count", _unread_count_statement(connection.alias), ["bigint"], [user.pk]
    )[0]


def notifications_for(user) -> QuerySet[Notification]:
    """A user's notifications, unread first, newest first within each."""
    return (
        Notification.objects.filter(user=user)
        .select_related("notice", "case")
        .annotate(unread=ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField()))
        .order_by("-unread", "-created_at", "-id")
    )


@dataclass
class LiaisonDesk:
    awaiting: list[Notice]
    awaiting_total: int
    prepared: list[Notice]
    notifications: list[Notification]
    unread_total: int
    triage_total: int | None  # None: the user may not see inbound mail
    now: datetime
    rebuttals: list[Rebuttal] | None = None  # waiting for a decision; None: the user does not decide them


def liaison_desk(user, *, now: datetime | None = None, rows: int = HOME_ROWS) -> LiaisonDesk:
    """What a liaison officer's home shows: at most six queries however many notices are open."""
    now = now or timezone.now()
    awaiting = list(awaiting_reply()[:rows])
    for notice in awaiting:
        notice.overdue = notice.is_overdue(now)
        notice.deadline_phrase = deadline_phrase(notice.deadline_at, now)
    unread = unread_notifications(user)
    return LiaisonDesk(
        awaiting=awaiting,
        awaiting_total=awaiting_reply().count() if len(awaiting) == rows else len(awaiting),
        prepared=list(prepared()[:rows]),
        notifications=list(unread.select_related("notice", "case").order_by("-created_at", "-id")[:10]),
        unread_total=unread.count(),
        triage_total=InboundMail.objects.filter(state=InboundMail.State.TRIAGE).count()
        if user.has_perm("notices.view_inboundmail")
        else None,
        now=now,
        rebuttals=list(
            Rebuttal.objects.filter(decision=Rebuttal.Decision.PENDING)
            .select_related("notice_item__notice")
            .order_by("received_at", "id")[:rows]
        )
        if user.has_perm("notices.decide_rebuttal")
        else None,
    )


def deadline_phrase(deadline: datetime | None, now: datetime | None = None) -> str:
    """'in 3 h', '2 days overdue': how a deadline stands, in the largest unit that reads naturally."""
    if deadline is None:
        return ""
    now = now or timezone.now()
    seconds = (deadline - now).total_seconds()
    left = abs(seconds)
    if left < 3600:
        amount = _("%(count)d min") % {"count": max(1, int(left // 60))}
    elif left < 48 * 3600:
        amount = _("%(count)d h") % {"count": int(left // 3600)}
    else:
        days = int(left // 86400)
        amount = ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if seconds > 0:
        return _("in %(amount)s") % {"amount": amount}
    return _("%(amount)s overdue") % {"amount": amount}


def describe_rule(notice: Notice) -> str:
    """The stored deadline rule in words; a recorded notice's given deadline has none."""
    if not notice.deadline_rule:
        return _("given when recorded") if notice.recorded_afterwards else ""
    try:
        return DeadlineRule.from_dict(notice.deadline_rule).describe()
    except InvalidDeadlineRule:
        return str(notice.deadline_rule)


def notice_detail(pk: int) -> Notice:
    """One notice with its items, deliveries and their evidence, replies, rebuttals, mail and sanction."""
    deliveries = Delivery.objects.prefetch_related(
        "attempts_made", Prefetch("reports", DeliveryReport.objects.select_related("inbound_mail"))
    ).defer("raw_message")
    return (
        Notice.objects.select_related(
            "case__platform", "case__owner", "step__policy", "sent_by", "recorded_by", "previous", "follow_up"
        )
        .prefetch_related(
            Prefetch("notice_items", NoticeItem.objects.select_related("item", "reply").order_by("id")),
            Prefetch("deliveries", deliveries.order_by("id")),
            Prefetch(
                "replies",
                PlatformReply.objects.select_related("recorded_by", "inbound_mail").prefetch_related(
                    "attachments__file"
                ),
            ),
            Prefetch(
                "inbound_mails", InboundMail.objects.select_related("recorded_reply").order_by("received_at", "id")
            ),
        )
        .get(pk=pk)
    )


def rebuttals_of(notice: Notice) -> QuerySet[Rebuttal]:
    return (
        Rebuttal.objects.filter(notice_item__notice=notice)
        .select_related("notice_item", "recorded_by", "decided_by", "reply")
        .prefetch_related("attachments__file")
        .order_by("received_at", "id")
    )


def sanction_of(notice: Notice) -> Sanction | None:
    return Sanction.objects.filter(notice=notice).first()


def sanctions_of(case) -> QuerySet[Sanction]:
    return Sanction.objects.filter(case=case).select_related("notice").order_by("imposed_at", "id")


def unresolved_entries(notice: Notice):
    """The notice's items the platform has not yet answered for good."""
    return notice.notice_items.exclude(outcome__in=NoticeItem.RESOLVED)
