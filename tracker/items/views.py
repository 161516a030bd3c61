"""UI of flagged items, their evidence, and cases. Thin: every write is a service call."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker import audit
from tracker.canonical import InvalidItem
from tracker.csv_export import stream_csv
from tracker.errors import DomainError, show_on_form
from tracker.models import Case, CaseItem, Evidence, FlaggedItem
from tracker.services import cases as case_services
from tracker.services import evidence as evidence_services
from tracker.services import items as item_services
from tracker.timeline import case_timeline

from .api import evidence_download_response
from .filters import CaseFilter, FlaggedItemFilter
from .forms import AddItemsForm, CaseForm, EditItemForm, EvidenceForm, LogItemForm

PAGE_SIZE = 50
MAX_PASTED_LINES = 5000  # more is an import's work


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return query.urlencode()


# --- items ------------------------------------------------------------------------------------


@login_required
@permission_required("tracker.view_flaggeditem", raise_exception=True)
def item_list(request):
    filters = FlaggedItemFilter(
        request.GET, queryset=FlaggedItem.objects.select_related("platform", "category").order_by("-logged_at", "-id")
    )
    items = filters.qs
    if request.GET.get("format") == "csv":
        header = [
            "id", "canonical", "display", "kind", "platform", "host", "category", "urgency", "status", "source",
            "reports", "logged_by", "logged_at_utc", "last_reported_at_utc",
        ]  # fmt: skip
        rows = (
            [
                item.pk, item.canonical, item.display, item.kind, item.platform.name if item.platform else "",
                item.host, item.category.slug, item.urgency, item.status, item.source, item.sighting_count,
                item.logged_by.username, item.logged_at.isoformat(), item.last_reported_at.isoformat(),
            ]
            for item in items.select_related("logged_by").iterator(chunk_size=2000)
        )  # fmt: skip
        return stream_csv("flagged-items.csv", header, rows)
    return render(
        request,
        "tracker/items/item_list.html",
        {
            "filters": filters,
            "page": Paginator(items, PAGE_SIZE).get_page(request.GET.get("page")),
            "query": _query_without_page(request),
        },
    )


@login_required
@permission_required("tracker.add_flaggeditem", raise_exception=True)
def item_new(request):
    form = LogItemForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item, created = _log_with_evidence(request, data)
        except DomainError as exc:
            show_on_form(form, exc, aliases={"file": "evidence"})
        else:
            if created:
                messages.success(request, _("Logged %(item)s.") % {"item": item.display})
            else:
                messages.info(
                    request,
                    _("Already known as %(item)s: your report was added to it (%(count)d reports).")
                    % {"item": item.display, "count": item.sighting_count},
                )
            return redirect("items-detail", item.pk)
    return render(request, "tracker/items/item_form.html", {"form": form})


def _log_with_evidence(request, data):
    """Log the item, attach the evidence and add it to the case: all of it, or none of it."""
    with transaction.atomic():
        item, created = item_services.log_item(
            actor=request.user,
            url=data["url"],
            category=data["category"],
            source=data["source"],
            urgency=data["urgency"],
            language=data["language"],
            description=data["description"],
            handle_platform=data["platform"],
        )
        if data["evidence"] is not None:
            evidence_services.attach_evidence(actor=request.user, item=item, uploaded_file=data["evidence"])
        if data["case"] is not None:
            case_services.add_items(data["case"], items=[item], actor=request.user)
    return item, created


@login_required
@permission_required("tracker.view_flaggeditem", raise_exception=True)
def item_detail(request, pk):
    item = get_object_or_404(
        FlaggedItem.objects.select_related("platform", "category", "logged_by", "verified_by"), pk=pk
    )
    memberships = CaseItem.objects.filter(item=item).select_related("case__platform").order_by("-added_at")
    open_cases = Case.objects.filter(platform_id=item.platform_id).exclude(status=Case.Status.CLOSED)
    return render(
        request,
        "tracker/items/item_detail.html",
        {
            "item": item,
            "sightings": item.sightings.select_related("reported_by").order_by("reported_at", "id")[:200],
            "evidence": item.evidence.select_related("file", "captured_by", "supersedes").order_by("attached_at"),
            "memberships": memberships,
            "open_cases": open_cases.exclude(pk__in=memberships.filter(removed_at__isnull=True).values("case_id"))[:100]
            if item.platform_id
            else [],
            "next_statuses": [
                FlaggedItem.Status(status)
                for status in sorted(item_services.ITEM_TRANSITIONS[item.status])
                if status != FlaggedItem.Status.VERIFIED
            ],
            "can_verify": item.status == FlaggedItem.Status.NEW
            and request.user.has_perm("tracker.verify_flaggeditem")
            and request.user.pk != item.logged_by_id,
            "evidence_form": EvidenceForm(),
            "history": audit.history(item),
        },
    )


@login_required
@permission_required("tracker.change_flaggeditem", raise_exception=True)
def item_edit(request, pk):
    item = get_object_or_404(FlaggedItem, pk=pk)
    initial = {field: getattr(item, field) for field in item_services.EDITABLE_FIELDS}
    form = EditItemForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        changed = {name: value for name, value in data.items() if value != initial[name]}
        try:
            item_services.edit_item(item, actor=request.user, reason=reason, **changed)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("items-detail", item.pk)
    return render(request, "tracker/items/item_edit.html", {"form": form, "item": item})


@login_required
@require_POST
@permission_required("tracker.verify_flaggeditem", raise_exception=True)
def item_verify(request, pk):
    item = get_object_or_404(FlaggedItem, pk=pk)
    try:
        item_services.verify_item(item, actor=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("Verified."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("items-detail", item.pk)


@login_required
@require_POST
@permission_required("tracker.change_flaggeditem", raise_exception=True)
def item_status(request, pk):
    item = get_object_or_404(FlaggedItem, pk=pk)
    try:
        item_services.change_item_status(
            item, to_status=request.POST.get("status", ""), actor=request.user, reason=request.POST.get("reason", "")
        )
        messages.success(request, _("Status changed."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("items-detail", item.pk)


@login_required
@require_POST
@permission_required("tracker.add_evidence", raise_exception=True)
def evidence_add(request, pk):
    item = get_object_or_404(FlaggedItem, pk=pk)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        for problems in form.errors.values():
            messages.error(request, " ".join(problems))
        return redirect("items-detail", item.pk)
    try:
        evidence, created = evidence_services.attach_evidence(
            actor=request.user,
            item=item,
            uploaded_file=form.cleaned_data["file"],
            captured_at=form.cleaned_data["captured_at"],
            description=form.cleaned_data["description"],
            supersedes=_superseded(item, request.POST.get("supersedes")),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if created:
            messages.success(request, _("Evidence attached (SHA-256 %(hash)s).") % {"hash": evidence.file.sha256})
        else:
            messages.info(
                request,
                _("This file is already attached: %(name)s, by %(who)s.")
                % {"name": evidence.original_name, "who": evidence.captured_by.username},
            )
    return redirect("items-detail", item.pk)


def _superseded(item, value):
    if not value:
        return None
    try:
        return Evidence.objects.get(pk=int(value), item=item)
    except (ValueError, Evidence.DoesNotExist):
        raise DomainError(_("The evidence to correct is not this item's.")) from None


@login_required
@permission_required("tracker.view_evidence", raise_exception=True)
def evidence_download(request, pk):
    return evidence_download_response(get_object_or_404(Evidence.objects.select_related("file"), pk=pk))


@login_required
@require_POST
@permission_required("tracker.change_case", raise_exception=True)
def item_add_to_case(request, pk):
    item = get_object_or_404(FlaggedItem, pk=pk)
    case = get_object_or_404(Case, pk=request.POST.get("case") or 0)
    try:
        case_services.add_items(case, items=[item], actor=request.user)
        messages.success(request, _("Added to %(case)s.") % {"case": case.title})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("items-detail", item.pk)


# --- cases ------------------------------------------------------------------------------------


@login_required
@permission_required("tracker.view_case", raise_exception=True)
def case_list(request):
    cases = CaseFilter(
        request.GET,
        queryset=Case.objects.select_related("platform", "owner")
        .annotate(item_count=Count("memberships", filter=Q(memberships__removed_at__isnull=True)))
        .order_by("-opened_at", "-id"),
    )
    if request.GET.get("format") == "csv":
        header = ["id", "title", "platform", "status", "owner", "items", "opened_at_utc", "closed_at_utc"]
        rows = (
            [
                case.pk, case.title, case.platform.name, case.status, case.owner.username, case.item_count,
                case.opened_at.isoformat(), case.closed_at.isoformat() if case.closed_at else "",
            ]
            for case in cases.qs.iterator(chunk_size=2000)
        )  # fmt: skip
        return stream_csv("cases.csv", header, rows)
    return render(
        request,
        "tracker/items/case_list.html",
        {
            "filters": cases,
            "page": Paginator(cases.qs, PAGE_SIZE).get_page(request.GET.get("page")),
            "query": _query_without_page(request),
        },
    )


@login_required
@permission_required("tracker.add_case", raise_exception=True)
def case_new(request):
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = case_services.open_case(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Case opened."))
            return redirect("cases-detail", case.pk)
    return render(request, "tracker/items/case_form.html", {"form": form})


@login_required
@permission_required("tracker.view_case", raise_exception=True)
def case_detail(request, pk):
    case = get_object_or_404(Case.objects.select_related("platform", "owner"), pk=pk)
    items = (
        FlaggedItem.objects.filter(memberships__case=case, memberships__removed_at__isnull=True)
        .select_related("category")
        .annotate(evidence_count=Count("evidence", distinct=True))
        .order_by("-logged_at", "-id")
    )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tracker/items/case_detail.html",
        {
            "case": case,
            "page": page,
            "query": "",
            "evidence_total": Evidence.objects.filter(
                item__memberships__case=case, item__memberships__removed_at__isnull=True
            ).count(),
            "timeline": case_timeline(case),
            "next_statuses": [Case.Status(s) for s in sorted(case_services.CASE_TRANSITIONS[case.status])],
            "add_form": AddItemsForm(),
            "history": audit.history(case),
        },
    )


@login_required
@require_POST
@permission_required("tracker.change_case", raise_exception=True)
def case_add_items(request, pk):
    """Add items already logged, given as URLs or handles in any of their forms."""
    case = get_object_or_404(Case.objects.select_related("platform"), pk=pk)
    lines = [line.strip() for line in request.POST.get("urls", "").splitlines() if line.strip()]
    if len(lines) > MAX_PASTED_LINES:
        messages.error(
            request,
            _("At most %(limit)s lines at a time; import a longer list with the case chosen.")
            % {"limit": f"{MAX_PASTED_LINES:,}"},
        )
        return redirect("cases-detail", case.pk)
    registry = item_services.HostRegistry.load()
    canonical, problems = [], []
    for number, line in enumerate(lines, start=1):
        try:
            found, _platform = item_services.recognise(line, registry=registry, handle_platform=case.platform)
            canonical.append(found.canonical)
        except InvalidItem as exc:
            problems.append(_("line %(n)d: %(why)s") % {"n": number, "why": exc.message})
    known = list(FlaggedItem.objects.filter(canonical__in=canonical))
    missing = set(canonical) - {item.canonical for item in known}
    try:
        added = case_services.add_items(case, items=known, actor=request.user) if known else []
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("cases-detail", case.pk)
    messages.success(request, _("%(count)d items added.") % {"count": len(added)})
    if missing:
        messages.warning(
            request,
            _("Not logged yet, so not added: %(items)s") % {"items": ", ".join(sorted(missing)[:20])},
        )
    for problem in problems[:20]:
        messages.error(request, problem)
    return redirect("cases-detail", case.pk)


@login_required
@require_POST
@permission_required("tracker.change_case", raise_exception=True)
def case_remove_item(request, pk):
    case = get_object_or_404(Case, pk=pk)
    item = get_object_or_404(FlaggedItem, pk=request.POST.get("item") or 0)
    try:
        case_services.remove_item(case, item=item, actor=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("Removed from the case."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("cases-detail", case.pk)


@login_required
@require_POST
@permission_required("tracker.change_case", raise_exception=True)
def case_status(request, pk):
    case = get_object_or_404(Case, pk=pk)
    try:
        case_services.change_case_status(
            case, to_status=request.POST.get("status", ""), actor=request.user, reason=request.POST.get("reason", "")
        )
        messages.success(request, _("Status changed."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("cases-detail", case.pk)
