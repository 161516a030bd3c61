"""Transparency reports: the list and draft form, a report's page, its approval, and its published editions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tracker.core.errors import DomainError

from . import transparency
from .models import TransparencyReport
from .periods import period_from

READ = "reports.view_transparencyreport"
# The stored document styles itself and shows its inlined charts; it loads and runs nothing.
DOCUMENT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
EDITIONS = {
    "pdf": ("published_pdf", "application/pdf"),
    "html": ("published_html", "text/html; charset=utf-8"),
    "json": ("published_json", "application/json; charset=utf-8"),
}


@login_required
@permission_required(READ, raise_exception=True)
@require_GET
def report_list(request):
    reports = TransparencyReport.objects.select_related("drafted_by", "approved_by").defer(
        "published_pdf", "published_html", "published_json", "content"
    )[:200]
    return render(request, "reports/report_list.html", {"reports": reports, "languages": transparency.LANGUAGES})


@login_required
@permission_required("reports.add_transparencyreport", raise_exception=True)
@require_POST
def report_draft(request):
    try:
        period = period_from(request.POST)
        report = transparency.draft_report(actor=request.user, period=period, language=request.POST.get("language", ""))
    except DomainError as error:
        if error.status_code == 403:
            raise PermissionDenied(error.message) from error
        messages.error(request, error.message)
        return redirect("figures-reports")
    messages.success(request, _("Report drafted: another supervisor approves it before it is published."))
    return redirect("figures-report", pk=report.pk)


@login_required
@permission_required(READ, raise_exception=True)
@require_GET
def report_detail(request, pk: int):
    report = get_object_or_404(TransparencyReport.objects.select_related("drafted_by", "approved_by"), pk=pk)
    may_approve = (
        report.status == TransparencyReport.Status.DRAFT
        and request.user.has_perm("reports.approve_transparencyreport")
        and report.drafted_by_id != request.user.pk
    )
    return render(request, "reports/report_detail.html", {"report": report, "may_approve": may_approve})


@login_required
@permission_required("reports.approve_transparencyreport", raise_exception=True)
@require_POST
def report_approve(request, pk: int):
    report = get_object_or_404(TransparencyReport, pk=pk)
    try:
        transparency.approve_report(actor=request.user, report=report)
    except DomainError as error:
        if error.status_code == 403:  # the drafter approving their own report
            raise PermissionDenied(error.message) from error
        messages.error(request, error.message)
    else:
        messages.success(request, _("Report approved and published."))
    return redirect("figures-report", pk=pk)


@login_required
@permission_required(READ, raise_exception=True)
@require_GET
def report_document(request, pk: int, edition: str):
    """An approved report's published edition, byte for byte; a draft's printable preview."""
    if edition not in EDITIONS:
        raise Http404("no such edition")
    report = get_object_or_404(TransparencyReport, pk=pk)
    field, content_type = EDITIONS[edition]
    if report.status == TransparencyReport.Status.APPROVED:
        body = bytes(getattr(report, field))
    elif edition == "html":
        body = transparency.render_html(report).encode()
    else:
        raise Http404("a draft has no published edition yet")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Security-Policy"] = DOCUMENT_POLICY
    if edition != "html":
        filename = f"transparency-report-{report.first_day}-{report.last_day}-{report.language}.{edition}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
