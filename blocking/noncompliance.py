"""An ISP that defies an order, as its own resolvers show it: not blocking an order's names after the ISP's
deadline to implement it, or still blocking names after a lift (or after a block's end time).

A compliance check run hands its answers to `review_checks`. The first time a problem is found for an order and
an ISP, the supervisors who answer for the order are told (in the app, and by email after commit) and the ISP's
reminders start: an email through notices' one delivery path (kept as proof beside the order's other messages to
that ISP), again every implementation period (BLOCKING_IMPLEMENT_DEADLINE by the order deadlines' rule) while the
problem lasts. A check that finds the ISP compliant resolves it; found again later, it reopens and the reminders
start again, but nobody is told twice about the same order, ISP and problem.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notices import delivery
from notices.models import Delivery, Notification
from notices.notifications import notify
from tracker.core import audit
from tracker.core.actors import BLOCKING_SCHEDULE
from tracker.core.deadlines import compute_deadline
from tracker.core.errors import TransitionNotAllowed
from tracker.core.models import AuditEntry
from tracker.core.states import change_state

from . import exports, services
from .models import ISP, BlocklistChange, BlocklistEntry, BlockOrder, ComplianceAlert, ComplianceCheck, OrderRecipient

Problem = ComplianceAlert.Problem
Status = ComplianceAlert.Status
Result = ComplianceCheck.Result
Expected = ComplianceCheck.Expected

# How many of the names found defying an order an alert keeps (and a message lists).
NAMES_KEPT = 100


def review_checks(*, isp: ISP, checks: list[ComplianceCheck], now: datetime | None = None) -> None:
    """Open, update and resolve the ISP's alerts from one check run's answers; in the run's transaction.

    1. Lock the ISP, so two runs for one ISP (the schedule and "check now") review one after the other.
    2. Find what the non-compliant answers defy (`_problems_found`): only orders issued to this ISP whose
       deadline for it has passed.
    3. A problem found the first time opens an alert: the order's supervisors are told and the ISP is reminded.
       Found again while open, the alert only notes when and which names; found again once resolved, it reopens
       and the ISP is reminded, nobody told again.
    4. An open alert of this ISP whose names this run answered for (no answer does not count) and found no
       problem with is resolved: the ISP complies, or the order no longer asks it.
    """
    now = now or timezone.now()
    answered = [check for check in checks if check.result != Result.ERROR]
    if not answered:
        return
    ISP.objects.select_for_update().filter(pk=isp.pk).first()
    found = _problems_found(isp, answered, now=now)
    # The open alerts of this ISP, and any (resolved) of the orders a problem was found in.
    relevant = Q(status=Status.OPEN) | Q(recipient_id__in={recipient_id for recipient_id, _problem in found})
    alerts = {
        (alert.recipient_id, alert.problem): alert
        for alert in ComplianceAlert.objects.filter(relevant, recipient__isp=isp).select_related(
            "recipient__order", "recipient__isp"
        )
    }
    recipients = OrderRecipient.objects.select_related("order", "isp").in_bulk({key[0] for key in found})
    for (recipient_id, problem), names in found.items():
        names = sorted(names)[:NAMES_KEPT]
        alert = alerts.get((recipient_id, problem))
        if alert is None:
            _open(recipients[recipient_id], problem, names, now=now)
        elif alert.status == Status.RESOLVED:
            reason = _("found again: %(names)s") % {"names": ", ".join(names)}
            change_state(
                alert,
                to=Status.OPEN,
                actor=BLOCKING_SCHEDULE,
                at=now,
                reason=reason,
                also={"names": names, "last_seen_at": now, "resolved_at": None},
            )
            _remind(alert, now=now)
        else:
            ComplianceAlert.objects.filter(pk=alert.pk).update(names=names, last_seen_at=now)
    checked = {check.name for check in answered}
    for key, alert in alerts.items():
        if alert.status == Status.OPEN and key not in found and checked.intersection(alert.names):
            reason = _("a compliance check found %(isp)s compliant") % {"isp": isp.name}
            with suppress(TransitionNotAllowed):  # the reminder sweep found it moot meanwhile
                _resolve(alert, now=now, reason=reason)


def _problems_found(isp: ISP, answered: list[ComplianceCheck], *, now) -> dict[tuple[int, str], set[str]]:
    """{(recipient id, problem): names} that the non-compliant answers defy, past the ISP's deadline."""
    found: dict[tuple[int, str], set[str]] = {}
    not_blocked = {c.name for c in answered if c.result == Result.NON_COMPLIANT and c.expected == Expected.BLOCKED}
    still_blocked = {c.name for c in answered if c.result == Result.NON_COMPLIANT and c.expected == Expected.RESOLVES}
    if not_blocked:
        # The orders by which this ISP must block these names now (not those of orders that do not bind it).
        rows = list(exports.isp_names(isp).filter(name__in=not_blocked).values_list("order_id", "name"))
        late = OrderRecipient.objects.filter(
            isp=isp, order_id__in={order_id for order_id, _name in rows}, implement_due_at__lte=now
        )
        late_by_order = dict(late.values_list("order_id", "pk"))
        for order_id, name in rows:
            if order_id in late_by_order:
                found.setdefault((late_by_order[order_id], Problem.NOT_BLOCKING), set()).add(name)
    if still_blocked:
        # Each name's latest removal: by a lift order, or by a block order whose end time came.
        removed_by: dict[str, int] = {}
        removals = BlocklistChange.objects.filter(name__in=still_blocked, added=False).order_by("name", "-serial")
        for name, order_id in removals.values_list("name", "order_id"):
            removed_by.setdefault(name, order_id)
        told = OrderRecipient.objects.filter(isp=isp, order_id__in=set(removed_by.values())).select_related("order")
        due = {recipient.order_id: recipient for recipient in told if _lift_due_at(recipient) <= now}
        for name, order_id in removed_by.items():
            if order_id in due:
                found.setdefault((due[order_id].pk, Problem.STILL_BLOCKING), set()).add(name)
    return found


def _lift_due_at(recipient: OrderRecipient) -> datetime:
    """When the ISP must have stopped blocking: its deadline to implement a lift order; at a block's end time."""
    order = recipient.order
    if order.kind == BlockOrder.Kind.LIFT:
        return recipient.implement_due_at
    return order.ended_at or order.ends_at or recipient.implement_due_at


def _open(recipient: OrderRecipient, problem: str, names: list[str], *, now) -> ComplianceAlert:
    alert = ComplianceAlert.objects.create(
        recipient=recipient, problem=problem, names=names, first_seen_at=now, last_seen_at=now
    )
    audit.record(obj=alert, action=AuditEntry.Action.CREATE, actor=BLOCKING_SCHEDULE, at=now, reason=", ".join(names))
    order = recipient.order
    title = _title(alert)
    found = (
        _("The compliance check of %(isp)s's resolvers found these names not blocked: %(names)s.")
        if problem == Problem.NOT_BLOCKING
        else _("The compliance check of %(isp)s's resolvers found these names still blocked: %(names)s.")
    )
    body = " ".join(
        [
            found % {"isp": recipient.isp.name, "names": ", ".join(names)},
            _("%(isp)s is reminded by email until a check finds it compliant.") % {"isp": recipient.isp.name},
        ]
    )
    link = reverse("blocking-order-detail", args=[order.pk])
    for user in services.order_staff(order):
        notify(
            user,
            kind=Notification.Kind.ISP_LATE,
            case=order.case,
            notice=None,
            title=title,
            body=body,
            link=link,
            now=now,
        )
    _remind(alert, now=now)
    return alert


def _title(alert: ComplianceAlert) -> str:
    order, isp, count = alert.recipient.order, alert.recipient.isp, len(alert.names)
    values = {"isp": isp.name, "order": order.reference, "count": count}
    if alert.problem == Problem.NOT_BLOCKING:
        return (
            ngettext(
                "%(isp)s is not blocking %(count)d name of %(order)s after its deadline",
                "%(isp)s is not blocking %(count)d names of %(order)s after its deadline",
                count,
            )
            % values
        )
    if order.kind == BlockOrder.Kind.LIFT:
        return (
            ngettext(
                "%(isp)s still blocks %(count)d name after %(order)s lifted it",
                "%(isp)s still blocks %(count)d names after %(order)s lifted them",
                count,
            )
            % values
        )
    return (
        ngettext(
            "%(isp)s still blocks %(count)d name of %(order)s after the order ended",
            "%(isp)s still blocks %(count)d names of %(order)s after the order ended",
            count,
        )
        % values
    )


def _remind(alert: ComplianceAlert, *, now) -> None:
    """Email the ISP about the problem (one numbered message: a retry cannot send it twice) and set when the
    next reminder is due: a fresh implementation period from now."""
    recipient = alert.recipient
    order, isp = recipient.order, recipient.isp
    number = alert.reminders_sent + 1
    subject = (
        _("[%(order)s] Non-compliance: your resolvers do not block names of this order")
        if alert.problem == Problem.NOT_BLOCKING
        else _("[%(order)s] Non-compliance: your resolvers still block lifted names")
    ) % {"order": order.reference}
    context = {"alert": alert, "order": order, "isp": isp, "recipient": recipient, "number": number, "now": now}
    delivery_ids = delivery.create_message_deliveries(
        about=recipient,
        kind=Delivery.Kind.ISP_REMINDER,
        purpose=f"{alert.problem}-{number}",
        reference=order.reference,
        subject=subject,
        body=render_to_string("blocking/email/noncompliance.txt", context),
        to=[isp.contact_email],
        now=now,
    )
    _acknowledge, implement = services.deadline_rules()
    alert.reminders_sent, alert.next_reminder_at = number, compute_deadline(now, implement)
    ComplianceAlert.objects.filter(pk=alert.pk).update(
        reminders_sent=alert.reminders_sent, next_reminder_at=alert.next_reminder_at
    )
    audit.record(
        obj=order,
        action=AuditEntry.Action.EVENT,
        actor=BLOCKING_SCHEDULE,
        at=now,
        reason=f"{isp.name}: reminded of non-compliance ({alert.problem}, {number})",
    )
    transaction.on_commit(lambda: delivery.enqueue(delivery_ids))


def _resolve(alert: ComplianceAlert, *, now, reason: str) -> None:
    change_state(
        alert,
        to=Status.RESOLVED,
        actor=BLOCKING_SCHEDULE,
        at=now,
        reason=reason,
        also={"resolved_at": now, "next_reminder_at": None},
    )


# --- the reminder sweep ----------------------------------------------------------------------------


def remind_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Remind every ISP whose next non-compliance reminder is due; how many were reminded. O(due): one indexed
    query finds the work, and a second sweep at the same instant finds none."""
    now = now or timezone.now()
    due = ComplianceAlert.objects.filter(next_reminder_at__lte=now).order_by("next_reminder_at")
    return sum(remind_isp(alert_id=alert_id, now=now) for alert_id in list(due.values_list("pk", flat=True)[:limit]))


def remind_isp(*, alert_id: int, now: datetime) -> bool:
    """Claim one due alert (skipping one another worker holds) and remind its ISP, unless the order no longer
    asks what the alert is about: then it is resolved instead."""
    with transaction.atomic():
        alert = (
            ComplianceAlert.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient__order", "recipient__isp")
            .filter(pk=alert_id, status=Status.OPEN, next_reminder_at__lte=now)
            .first()
        )
        if alert is None:
            return False
        moot = _why_moot(alert)
        if moot:
            _resolve(alert, now=now, reason=moot)
            return False
        _remind(alert, now=now)
    return True


def _why_moot(alert: ComplianceAlert) -> str:
    """Why the ISP need no longer be reminded, or "" while it must."""
    order, isp = alert.recipient.order, alert.recipient.isp
    if not isp.is_active:
        return _("%(isp)s is no longer active") % {"isp": isp.name}
    if alert.problem == Problem.NOT_BLOCKING and order.status != BlockOrder.Status.IN_FORCE:
        return _("%(order)s is no longer in force") % {"order": order.reference}
    if alert.problem == Problem.STILL_BLOCKING and not _lifted_names(alert.names):
        return _("the names are blocked again: no longer lifted")
    return ""


def _lifted_names(names: list[str]) -> set[str]:
    return set(names) - set(BlocklistEntry.objects.filter(name__in=names).values_list("name", flat=True))
