"""The figures page, its charts (SVG images) and its exports (CSV per table, JSON of everything)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required, permission_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from tracker.core.csv_export import stream_csv
from tracker.core.errors import DomainError

from . import charts, tables
from .access import READ_FIGURES
from .composed import INTERVALS, choice, compose
from .figures import GROUPINGS
from .periods import period_from, presets

# A chart is an image: it may style itself, and nothing else.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def _chosen(request):
    params = request.GET
    period = period_from(params)
    group_by = choice(params, "group", tuple(GROUPINGS), "platform")
    interval = params.get("interval") or None
    if interval:
        choice(params, "interval", INTERVALS, "week")
    return period, group_by, interval


@login_required
@permission_required(READ_FIGURES, raise_exception=True)
@require_GET
def figures_page(request):
    try:
        period, group_by, interval = _chosen(request)
    except DomainError as error:
        return render(request, "reports/figures.html", {"error": error, "choices": _choices(request)}, status=400)
    report = compose(period, group_by=group_by, interval=interval)
    query = urlencode({**period.as_params(), "group": group_by, "interval": report["interval"]})
    return render(
        request,
        "reports/figures.html",
        {
            "report": report,
            "query": query,
            "group_label": tables.GROUP_LABELS[group_by],
            "links": tables.links(report, period),
            "choices": _choices(request),
        },
    )


def _choices(request) -> dict:
    return {
        "presets": [(name, first, last) for name, (first, last) in presets(timezone.localdate()).items()],
        "groups": [(name, tables.GROUP_LABELS[name]) for name in GROUPINGS],
        "intervals": [(name, tables.INTERVAL_LABELS[name]) for name in INTERVALS],
        "params": request.GET,
    }


@login_required
@permission_required(READ_FIGURES, raise_exception=True)
@require_GET
def figures_chart(request, name: str):
    drawing = tables.CHARTS.get(name)
    if drawing is None:
        raise Http404("no such chart")
    try:
        period, group_by, interval = _chosen(request)
    except DomainError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    report = compose(period, group_by=group_by, interval=interval, tables=(tables.CHART_TABLES[name],))
    response = HttpResponse(drawing(report, charts), content_type="image/svg+xml; charset=utf-8")
    response["Content-Security-Policy"] = SVG_POLICY
    response["Cache-Control"] = "private, max-age=60"
    return response


@login_required
@permission_required(READ_FIGURES, raise_exception=True)
@require_GET
def figures_export(request, table: str, extension: str):
    try:
        period, group_by, interval = _chosen(request)
    except DomainError as error:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    stem = f"figures-{period.first_day}-{period.last_day}"
    if extension == "json":
        if table != "all":
            raise Http404("the JSON export holds every table: figures/all.json")
        report = compose(period, group_by=group_by, interval=interval)
        response = HttpResponse(
            json.dumps(report, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.json"'
        return response
    shaped = tables.CSV_TABLES.get(table)
    if shaped is None or extension != "csv":
        raise Http404("no such table")
    needs = tables.CSV_NEEDS.get(table, (table,))
    header, rows = shaped(compose(period, group_by=group_by, interval=interval, tables=needs))
    return stream_csv(f"{stem}-{table}.csv", header, rows)
