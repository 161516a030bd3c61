"""Checking ISPs' resolvers: do blocked names get the blocked answer, and do lifted names resolve again?

Queries go only to the resolver addresses configured for the ISP being checked.
"""

from __future__ import annotations

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from .exports import block_page_target, current_serial
from .models import ISP, BlocklistChange, BlocklistEntry, ComplianceCheck


def names_to_check(limit: int) -> tuple[list[str], list[str]]:
    """(names that must be blocked, names lifted that must resolve again): the most recent changes first."""
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


def check_isp(*, isp: ISP, limit: int | None = None, now=None) -> list[ComplianceCheck]:
    limit = limit or settings.BLOCKING_COMPLIANCE_NAMES
    timeout = settings.BLOCKING_COMPLIANCE_TIMEOUT
    now = now or timezone.now()
    serial = current_serial()
    blocked, lifted = names_to_check(limit)
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
    return ComplianceCheck.objects.bulk_create(checks)


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
