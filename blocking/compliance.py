"""Checking ISPs' resolvers: do blocked names get the blocked answer, and do lifted names resolve again?

Queries go only to the resolver addresses configured for the ISP being checked. Each run's answers go to
`noncompliance.review_checks`, which tells the supervisors of an ISP defying an order and reminds the ISP.
"""

from __future__ import annotations

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.core import queueing
from tracker.core.errors import DomainError, require_permission

from . import noncompliance
from .exports import block_page_target, current_serial, isp_names
from .models import (
    ISP,
    BlocklistChange,
    BlocklistEntry,
    BlocklistPeriod,
    BlockOrder,
    ComplianceAlert,
    ComplianceCheck,
)


def names_to_check(limit: int, isp: ISP | None = None) -> tuple[list[str], list[str]]:
    """(names that must be blocked, names lifted that must resolve again): the most recent changes first. With
    `isp`, the ISP's own list: an ISP is never checked for names that no order binding it blocks."""
    if isp is not None:
        return _isp_names_to_check(limit, isp)
    # A subtree is checked at its own name (the RPZ blocks it too): a made-up name under it would get
    # NXDOMAIN from any resolver and prove nothing.
    blocked = list(
        BlocklistEntry.objects.order_by("-since_serial", "name").values_list("name", flat=True).distinct()[:limit]
    )
    lifted_rows = (
        BlocklistChange.objects.filter(added=False)
        .order_by("-serial", "name")
        .values_list("name", "subtree")[: limit * 2]
    )
    in_force = set(
        BlocklistEntry.objects.filter(name__in={name for name, _ in lifted_rows}).values_list("name", "subtree")
    )
    lifted = []
    for name, subtree in lifted_rows:
        if (name, subtree) in in_force or name in lifted:
            continue
        lifted.append(name)
        if len(lifted) >= limit:
            break
    return blocked, lifted


def _isp_names_to_check(limit: int, isp: ISP) -> tuple[list[str], list[str]]:
    in_force = isp_names(isp)
    blocked = _first_unique(in_force.order_by("-since_serial", "name").values_list("name", flat=True), limit)
    ended = (
        BlocklistPeriod.objects.filter(until_serial__isnull=False, isps__isps=isp)
        .order_by("-until_serial", "name")
        .values_list("name", flat=True)[: limit * 4]
    )
    still_held = set(in_force.filter(name__in=list(ended)).values_list("name", flat=True))
    lifted = _first_unique((name for name in ended if name not in still_held), limit)
    return blocked, lifted


def _first_unique(names, limit: int) -> list[str]:
    found: list[str] = []
    for name in names:
        if name not in found:
            found.append(name)
            if len(found) >= limit:
                break
    return found


def query(name: str, host: str, port: int, timeout: float) -> tuple[bool | None, str]:
    """(shows the block?, what the resolver said); None when it did not answer."""
    request = dns.message.make_query(f"{name}.", dns.rdatatype.A)
    request.flags |= dns.flags.RD
    try:
        response = dns.query.udp(request, host, port=port, timeout=timeout)
    except (dns.exception.Timeout, OSError, dns.exception.DNSException) as exc:
        return None, f"no answer: {exc.__class__.__name__}"
    rcode = dns.rcode.to_text(response.rcode())
    cnames = [
        rdata.target.to_text() for rrset in response.answer if rrset.rdtype == dns.rdatatype.CNAME for rdata in rrset
    ]
    target = block_page_target()
    blocked = response.rcode() == dns.rcode.NXDOMAIN if target == "." else target.lower() in cnames
    addresses = [rdata.to_text() for rrset in response.answer if rrset.rdtype == dns.rdatatype.A for rdata in rrset]
    return blocked, f"{rcode} {' '.join(cnames + addresses)}".strip()[:300]


def names_of_order(order: BlockOrder, limit: int | None = None) -> tuple[list[str], list[str]]:
    """(the order's names that must be blocked now, those that must resolve): as the blocklist stands, as
    `names_to_check` reads it for the national check."""
    limit = limit or settings.BLOCKING_COMPLIANCE_NAMES
    names = list(order.names.order_by("name").values_list("name", flat=True).distinct()[:limit])
    in_force = set(BlocklistEntry.objects.filter(name__in=names).values_list("name", flat=True))
    return [name for name in names if name in in_force], [name for name in names if name not in in_force]


def check_isp(
    *, isp: ISP, limit: int | None = None, now=None, names: tuple[list[str], list[str]] | None = None
) -> list[ComplianceCheck]:
    """Ask each of the ISP's resolvers for the names (default `names_to_check`: the latest changes to the list),
    record the answers and review them for non-compliance; in the caller's transaction."""
    limit = limit or settings.BLOCKING_COMPLIANCE_NAMES
    timeout = settings.BLOCKING_COMPLIANCE_TIMEOUT
    now = now or timezone.now()
    serial = current_serial()
    blocked, lifted = names if names is not None else names_to_check(limit, isp)
    checks = []
    for host, port in isp.resolvers():
        resolver = f"{host}:{port}"
        for names, expected in (
            (blocked, ComplianceCheck.Expected.BLOCKED),
            (lifted, ComplianceCheck.Expected.RESOLVES),
        ):
            for name in names:
                shows_block, answer = query(name, host, port, timeout)
                if shows_block is None:
                    result = ComplianceCheck.Result.ERROR
                elif shows_block == (expected == ComplianceCheck.Expected.BLOCKED):
                    result = ComplianceCheck.Result.COMPLIANT
                else:
                    result = ComplianceCheck.Result.NON_COMPLIANT
                checks.append(
                    ComplianceCheck(
                        isp=isp,
                        resolver=resolver,
                        name=name,
                        expected=expected,
                        result=result,
                        answer=answer,
                        serial=serial,
                        checked_at=now,
                    )
                )
    checks = ComplianceCheck.objects.bulk_create(checks)
    noncompliance.review_checks(isp=isp, checks=checks, now=now)
    return checks


def latest_summaries() -> dict[int, dict[str, int]]:
    """{isp id: {result: count}} of each ISP's latest check run, in two queries."""
    latest = ComplianceCheck.objects.values("isp").annotate(last=Max("checked_at"))
    runs = Q(pk__in=[])
    for row in latest:
        runs |= Q(isp=row["isp"], checked_at=row["last"])
    summaries: dict[int, dict[str, int]] = {}
    for row in ComplianceCheck.objects.filter(runs).values("isp", "result").annotate(count=Count("id")):
        summaries.setdefault(row["isp"], {})[row["result"]] = row["count"]
    return summaries


def latest_for_names(*, isp_ids: list[int], names: list[str]) -> dict[int, dict[str, int]]:
    """{isp id: {result: count}} over the latest answer each ISP's resolvers gave for each of these names."""
    if not isp_ids or not names:
        return {}
    latest: dict[tuple[int, str, str], str] = {}
    rows = (
        ComplianceCheck.objects.filter(isp__in=isp_ids, name__in=names)
        .order_by("isp", "resolver", "name", "-checked_at")
        .values_list("isp", "resolver", "name", "result")
    )
    for isp, resolver, name, result in rows.iterator(chunk_size=5000):
        latest.setdefault((isp, resolver, name), result)
    summaries: dict[int, dict[str, int]] = {}
    for (isp, _resolver, _name), result in latest.items():
        counts = summaries.setdefault(isp, {})
        counts[result] = counts.get(result, 0) + 1
    return summaries


def latest_checks(*, isp_ids: list[int], names: list[str]) -> dict[tuple[int, str], list[ComplianceCheck]]:
    """{(isp id, name): the latest answer of each of the ISP's resolvers for the name}, resolvers in order."""
    latest: dict[tuple[int, str], dict[str, ComplianceCheck]] = {}
    if not isp_ids or not names:
        return {}
    rows = ComplianceCheck.objects.filter(isp__in=isp_ids, name__in=names).order_by(
        "isp", "name", "resolver", "-checked_at", "-id"
    )
    for check in rows.iterator(chunk_size=5000):
        latest.setdefault((check.isp_id, check.name), {}).setdefault(check.resolver, check)
    return {key: list(by_resolver.values()) for key, by_resolver in latest.items()}


def order_results(order: BlockOrder, *, names_shown: int = 2000) -> dict:
    """An order's compliance, per ISP it was issued to and per name (the first `names_shown`, as its page shows
    them): each resolver's latest answer, a count of results, and the ISP's alerts about this order."""
    recipients = list(order.recipients.select_related("isp").order_by("isp__name"))
    names = list(order.names.all()[:names_shown])
    checks = latest_checks(isp_ids=[r.isp_id for r in recipients], names=[name.name for name in names])
    alerts: dict[int, list[ComplianceAlert]] = {}
    for alert in ComplianceAlert.objects.filter(recipient__order=order).order_by("first_seen_at", "id"):
        alerts.setdefault(alert.recipient_id, []).append(alert)
    isps = []
    for recipient in recipients:
        rows = [{"name": str(name), "checks": checks.get((recipient.isp_id, name.name), [])} for name in names]
        summary: dict[str, int] = {}
        for row in rows:
            for check in row["checks"]:
                summary[check.result] = summary.get(check.result, 0) + 1
        isps.append(
            {
                "isp": recipient.isp,
                "resolvers": [f"{host}:{port}" for host, port in recipient.isp.resolvers()],
                "summary": summary,
                "names": rows,
                "alerts": alerts.get(recipient.pk, []),
            }
        )
    return {"order": order, "serial": current_serial(), "name_count": order.names.count(), "isps": isps}


# --- "check now" ----------------------------------------------------------------------------------


class NothingToCheck(DomainError):
    """A check was asked for where no resolver may be asked."""

    status_code = 409
    code = "nothing_to_check"


def checkable_isps():
    """The ISPs a compliance check asks: active, with resolvers listed (as the scheduled check)."""
    return ISP.objects.filter(is_active=True).exclude(resolver_addresses="")


def queue_isp_check(*, isp: ISP, actor) -> list[int]:
    """Queue the compliance check of one ISP (after commit); [its id]. Who may: who keeps the ISP registry."""
    require_permission(actor, "blocking.change_isp")
    if not checkable_isps().filter(pk=isp.pk).exists():
        raise NothingToCheck(_("%(isp)s is not active or lists no resolver to check.") % {"isp": isp.name})
    from .tasks import check_compliance  # the tasks module imports this one

    isp_id = isp.pk
    transaction.on_commit(lambda: queueing.queue(check_compliance.delay, isp_id, what=f"check of ISP {isp_id}"))
    return [isp_id]


def queue_order_check(*, order: BlockOrder, actor) -> list[int]:
    """Queue the check of an order's names at each ISP it was issued to that can be checked; their ids."""
    require_permission(actor, "blocking.change_isp")
    isp_ids = list(checkable_isps().filter(orders_received__order=order).order_by("name").values_list("pk", flat=True))
    if not isp_ids:
        message = _("%(order)s was issued to no active ISP that lists a resolver to check.")
        raise NothingToCheck(message % {"order": order.reference})
    from .tasks import check_order_compliance  # the tasks module imports this one

    order_id = order.pk
    transaction.on_commit(
        lambda: queueing.queue(check_order_compliance.delay, order_id, what=f"check of order {order_id}")
    )
    return isp_ids
