"""The transparency report: the period's figures and the registers in force, in a public edition.

A supervisor drafts it (the contents are computed then and kept); another supervisor approves it, and only then
is it rendered as JSON, printable HTML and PDF, each kept with its SHA-256 and never changed again.

The public edition names no member of staff, quotes no evidence and lists no item's address: platforms, ISPs,
categories and counts only, plus the block orders' DNS names (already public on the blocklist ISPs serve) and the
government advisories in force.
"""

from __future__ import annotations

import base64
import json
from datetime import date

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from blocking.models import BlockOrder
from platforms.models import GovernmentAdvisory
from tracker.core import audit, pdf
from tracker.core.errors import DomainError, NotPermitted, require_permission
from tracker.core.models import AuditEntry
from tracker.core.states import change_state

from . import charts, figures
from .models import TransparencyReport
from .periods import Period

SCHEMA = "takedown-tracker/transparency-report/1"
LANGUAGES = ("en", "id")


def public_contents(period: Period) -> dict:
    """Everything the report says, as plain JSON values (the documented schema `SCHEMA`)."""
    now = timezone.now()
    work = figures.work_figures(period, now=now)
    interval = "week" if period.days <= 120 else "month"
    return {
        "schema": SCHEMA,
        "period": {"from": period.first_day, "to": period.last_day, "time_zone": period.zone.key},
        "computed_at": now,
        "platforms": figures.platform_figures(period, "platform", now=now),
        "categories": figures.platform_figures(period, "category", now=now),
        "isps": figures.isp_figures(period, now=now),
        # The work figures without the per-person table: the public edition names no member of staff.
        "work": {key: work[key] for key in ("logged", "by_source", "by_category", "backlog", "imports")},
        "interval": interval,
        "trends": figures.trends(period, interval),
        "rechecks": figures.recheck_figures(period),
        "orders_in_force": _orders_in_force(period),
        "lifts": _lifts(period),
        "advisories_in_force": _advisories(period),
    }


def _orders_in_force(period: Period) -> list[dict]:
    end = period.end
    orders = (
        BlockOrder.objects.filter(kind=BlockOrder.Kind.BLOCK, in_force_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=end))
        .prefetch_related("names")
        .order_by("in_force_at", "id")
    )
    return [
        {
            "reference": order.reference,
            "in_force_since": order.in_force_at,
            "ends_at": order.ends_at,
            "legal_basis": order.legal_basis,
            "names": sorted(("*." if name.subtree else "") + name.name for name in order.names.all()),
        }
        for order in orders
    ]


def _lifts(period: Period) -> list[dict]:
    lifts = BlockOrder.objects.filter(
        kind=BlockOrder.Kind.LIFT, issued_at__gte=period.start, issued_at__lt=period.end
    ).select_related("lifts")
    return [
        {
            "reference": lift.reference,
            "lifts": lift.lifts.reference if lift.lifts else "",
            "effective_at": lift.effective_at,
            "legal_basis": lift.legal_basis,
        }
        for lift in lifts.order_by("effective_at", "id")
    ]


def _advisories(period: Period) -> list[dict]:
    advisories = (
        GovernmentAdvisory.objects.filter(issued_on__lte=period.last_day)
        .filter(Q(lifted_on__isnull=True) | Q(lifted_on__gt=period.last_day))
        .prefetch_related("platforms", "reasons")
        .order_by("issued_on", "id")
    )
    return [
        {
            "authority": advisory.authority,
            "country": advisory.country,
            "reference": advisory.reference,
            "issued_on": advisory.issued_on,
            "measure": advisory.get_measure_display(),
            "platforms": sorted(platform.name for platform in advisory.platforms.all()),
            "reasons": sorted(reason.name for reason in advisory.reasons.all()),
        }
        for advisory in advisories
    ]


def draft_report(*, actor, period: Period, language: str) -> TransparencyReport:
    """A supervisor drafts the report of `period`: its contents are computed now and kept as drafted."""
    require_permission(actor, "reports.add_transparencyreport")
    if language not in LANGUAGES:
        message = _("Unknown language: %(language)s") % {"language": language[:8]}
        raise DomainError(message, fields={"language": [message]})
    if period.last_day >= timezone.localdate(timezone=period.zone):
        message = _("A report covers days that are over: end it yesterday or earlier.")
        raise DomainError(message, fields={"to": [message]})
    with translation.override(language):
        contents = json.loads(json.dumps(public_contents(period), cls=DjangoJSONEncoder))
        title = _("Transparency report, %(first)s to %(last)s") % {
            "first": period.first_day.isoformat(),
            "last": period.last_day.isoformat(),
        }
    with transaction.atomic():
        report = TransparencyReport.objects.create(
            first_day=period.first_day,
            last_day=period.last_day,
            time_zone=period.zone.key,
            language=language,
            title=title,
            content=contents,
            drafted_by=actor,
        )
        # The published editions (binary, empty in a draft) are not audit values: the approval records their hashes.
        recorded = ["first_day", "last_day", "time_zone", "language", "title", "status", "drafted_by"]
        audit.record(
            obj=report,
            action=AuditEntry.Action.CREATE,
            actor=actor,
            changes=audit.diff({}, audit.snapshot(report, fields=recorded)),
        )
    return report


def approve_report(*, actor, report: TransparencyReport) -> TransparencyReport:
    """Another supervisor approves a draft: it is rendered and published, with the SHA-256 of each edition."""
    require_permission(actor, "reports.approve_transparencyreport")
    if report.drafted_by_id == actor.pk:
        raise NotPermitted(_("Another supervisor approves the report you drafted."), code="own_draft")
    with transaction.atomic():
        locked = TransparencyReport.objects.select_for_update().get(pk=report.pk)
        if locked.status != TransparencyReport.Status.DRAFT:
            raise DomainError(_("This report is already approved."), code="already_approved")
        approved_at = timezone.now()
        document = json.dumps(locked.content, ensure_ascii=False, indent=1, sort_keys=True).encode()
        html = render_html(locked, approved_by=actor, approved_at=approved_at).encode()
        printed = pdf.render_pdf(html.decode())
        published = {
            "approved_by": actor,
            "approved_at": approved_at,
            "published_json": document,
            "published_html": html,
            "published_pdf": printed,
            "json_sha256": pdf.sha256(document),
            "html_sha256": pdf.sha256(html),
            "pdf_sha256": pdf.sha256(printed),
        }
        changed = {"pdf_sha256": ["", published["pdf_sha256"]], "json_sha256": ["", published["json_sha256"]]}
        # The row's one update: from draft to its published form (`save` refuses any after this).
        change_state(
            locked,
            to=TransparencyReport.Status.APPROVED,
            actor=actor,
            also=published,
            changes=changed,
            locked=True,
        )
    return locked


def _chart(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def render_html(report: TransparencyReport, *, approved_by=None, approved_at=None) -> str:
    """The printable report (also what the PDF is printed from): self-contained, its charts inlined."""
    contents = report.content
    with translation.override(report.language):
        trends = [{**row, "starts": date.fromisoformat(row["starts"])} for row in contents["trends"]]
        drawn = {
            "platforms": _chart(
                charts.share_bars(
                    contents["platforms"][:12],
                    {"removed_share": _("removed or restricted"), "in_time_share": _("removed within the deadline")},
                    _("What platforms did with the items noticed"),
                )
            ),
            "trends": _chart(
                charts.trend_lines(
                    trends,
                    {
                        "notices_sent": _("notices sent"),
                        "items_removed": _("items removed"),
                        "orders_issued": _("block orders issued"),
                    },
                    _("Notices, removals and block orders"),
                )
            ),
        }
        return render_to_string(
            "reports/transparency_report.html",
            {
                "report": report,
                "contents": contents,
                "trends": trends,
                "charts": drawn,
                "letterhead": pdf.letterhead(),
                "approved_by": approved_by,
                "approved_at": approved_at,
            },
        )
