"""The deadlines that concern a person, as calendar events: what each role answers for.

- liaison officers and supervisors (who send notices): every notice awaiting a platform's reply (its deadline)
  and every step prepared and waiting for confirmation;
- analysts: the reply deadlines of notices in the cases they own;
- supervisors: each ISP's deadlines to acknowledge and to implement an order, until met, and when orders take
  effect and end;
- ISP accounts: their own ISP's deadlines and their orders' effective and end times;
- auditors and administrators answer for no deadline: their feed is valid and empty.

Bounded: open things and those of the last LOOKBACK days, at most MAX_EVENTS, each kind one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from blocking.models import BlockOrder, ISPAccount, OrderRecipient
from notices.models import Notice

LOOKBACK = timedelta(days=30)
MAX_EVENTS = 2000


@dataclass(frozen=True)
class Deadline:
    uid: str  # stable across reads, so a calendar updates the event instead of adding another
    at: datetime
    summary: str
    description: str
    path: str


def deadlines_for(user, now: datetime | None = None) -> list[Deadline]:
    now = now or timezone.now()
    since = now - LOOKBACK
    found: list[Deadline] = []
    if user.has_role("isp"):
        account = ISPAccount.objects.filter(user=user).first()
        if account is not None:
            found += _isp_deadlines(OrderRecipient.objects.filter(isp=account.isp_id), since)
            found += _order_times(BlockOrder.objects.filter(recipients__isp=account.isp_id), since)
        return _bounded(found)
    if user.has_perm("notices.send_notice"):
        found += _notice_deadlines(Notice.objects.all(), since)
    elif user.has_perm("notices.view_notice"):
        found += _notice_deadlines(Notice.objects.filter(case__owner=user), since)
    if user.has_perm("blocking.approve_blockorder"):
        found += _isp_deadlines(OrderRecipient.objects.all(), since)
        found += _order_times(BlockOrder.objects.all(), since)
    return _bounded(found)


def _bounded(found: list[Deadline]) -> list[Deadline]:
    return sorted(found, key=lambda deadline: (deadline.at, deadline.uid))[:MAX_EVENTS]


def _notice_deadlines(notices, since) -> list[Deadline]:
    awaiting = Q(status__in=Notice.AWAITING_REPLY, deadline_at__gte=since)
    prepared = Q(status=Notice.Status.PREPARED)
    rows = notices.filter(awaiting | prepared).select_related("case__platform", "step")[:MAX_EVENTS]
    found = []
    for notice in rows:
        path = reverse("notices-detail", args=[notice.pk])
        names = {"reference": notice.reference, "platform": notice.case.platform.name, "step": notice.step.name}
        if notice.status == Notice.Status.PREPARED:
            found.append(
                Deadline(
                    f"notice-{notice.pk}-confirm",
                    notice.prepared_at,
                    _("Confirm %(step)s %(reference)s to %(platform)s") % names,
                    _("Prepared and waiting for a liaison officer to confirm and send it."),
                    path,
                )
            )
        else:
            found.append(
                Deadline(
                    f"notice-{notice.pk}-deadline",
                    notice.deadline_at,
                    _("Reply due from %(platform)s: %(reference)s") % names,
                    _("%(step)s %(reference)s: the platform's reply is due.") % names,
                    path,
                )
            )
    return found


def _isp_deadlines(recipients, since) -> list[Deadline]:
    open_ = Q(acknowledged_at__isnull=True, acknowledge_due_at__gte=since) | Q(
        implemented_at__isnull=True, implement_due_at__gte=since
    )
    rows = recipients.filter(open_).select_related("order", "isp")[:MAX_EVENTS]
    found = []
    for recipient in rows:
        path = reverse("blocking-order-detail", args=[recipient.order_id])
        names = {"isp": recipient.isp.name, "reference": recipient.order.reference}
        if recipient.acknowledged_at is None:
            found.append(
                Deadline(
                    f"order-{recipient.order_id}-isp-{recipient.isp_id}-acknowledge",
                    recipient.acknowledge_due_at,
                    _("%(isp)s to acknowledge %(reference)s") % names,
                    _("The ISP's deadline to acknowledge the order."),
                    path,
                )
            )
        if recipient.implemented_at is None:
            found.append(
                Deadline(
                    f"order-{recipient.order_id}-isp-{recipient.isp_id}-implement",
                    recipient.implement_due_at,
                    _("%(isp)s to implement %(reference)s") % names,
                    _("The ISP's deadline to report the order implemented."),
                    path,
                )
            )
    return found


def _order_times(orders, since) -> list[Deadline]:
    live = [BlockOrder.Status.APPROVED, BlockOrder.Status.ISSUED, BlockOrder.Status.IN_FORCE]
    rows = orders.filter(status__in=live).filter(Q(effective_at__gte=since) | Q(ends_at__gte=since)).distinct()
    found = []
    for order in rows[:MAX_EVENTS]:
        path = reverse("blocking-order-detail", args=[order.pk])
        names = {"kind": order.get_kind_display(), "reference": order.reference}
        if order.effective_at >= since:
            found.append(
                Deadline(
                    f"order-{order.pk}-effective",
                    order.effective_at,
                    _("%(kind)s %(reference)s takes effect") % names,
                    "",
                    path,
                )
            )
        if order.ends_at and order.ends_at >= since:
            found.append(
                Deadline(f"order-{order.pk}-ends", order.ends_at, _("%(kind)s %(reference)s ends") % names, "", path)
            )
    return found
