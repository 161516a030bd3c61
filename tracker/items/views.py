"""UI of flagged items. Thin: every write is a service call."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from platforms.models import Platform
from tracker.cases import bulk as case_bulk
from tracker.cases import services as case_services
from tracker.cases.models import Case, CaseItem
from tracker.core import audit
from tracker.core.bulk_pages import back_to_list, bulk_result_page, selected_ids
from tracker.core.csv_export import stream_csv
from tracker.core.errors import DomainError, show_on_form
from tracker.core.listing import list_page, query_without_page
from tracker.core.panels import page_panels
from tracker.core.prepared import read_instances
from tracker.evidence import services as evidence_services
from tracker.evidence.forms import EvidenceForm
from tracker.items import bulk as item_bulk
from tracker.items import services as item_services
from tracker.items.filters import FlaggedItemFilter
from tracker.items.forms import EditItemForm, LogItemForm
from tracker.items.models import Category, FlaggedItem
from tracker.items.rows import ROW_VALUES, item_rows


@login_required
@permission_required("tracker.view_flaggeditem", raise_exception=True)
def item_list(request):
    filters = FlaggedItemFilter(request.GET, queryset=FlaggedItem.objects.order_by("-logged_at", "-id"))
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
            for item in items.select_related("platform", "category", "logged_by").iterator(chunk_size=2000)
        )  # fmt: skip
        return stream_csv("flagged-items.csv", header, rows)
    page = list_page(
        request,
        items,
        sortable={"logged": "logged_at", "reported": "last_reported_at"},
        default_sort="-logged",
        values=ROW_VALUES,
    )
    # Read once for the filter's choices, the rows' names and the bulk bar's categories.
    platforms = read_instances(Platform, ordering=["name"])
    categories = read_instances(Category, ordering=["name"])
    filters.choose_from(platform=platforms, category=categories)
    rows = item_rows(
        page,
        platform_names={platform.pk: platform.name for platform in platforms},
        category_names={category.pk: category.name for category in categories},
        can_select=request.user.has_perm("tracker.change_flaggeditem"),
    )
    return render(
        request,
        "items/item_list.html",
        {
            "filters": filters,
            "page": page,
            "rows": rows,
            "query": query_without_page(request),
            "bulk_statuses": item_bulk.STATUSES_BY_HAND,
            "categories": [category for category in categories if category.is_active],
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
    return render(request, "items/item_form.html", {"form": form})


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
        "items/item_detail.html",
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
                for status in FlaggedItem.STATE_MACHINE.next_states(item.status)
                if status != FlaggedItem.Status.VERIFIED
            ],
            "can_verify": item.status == FlaggedItem.Status.NEW
            and request.user.has_perm("tracker.verify_flaggeditem")
            and request.user.pk != item.logged_by_id,
            "evidence_form": EvidenceForm(),
            "history": audit.history(item, related=item.evidence.all()),
            "panels": page_panels(request, "item", item),
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
    return render(request, "items/item_edit.html", {"form": form, "item": item})


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
@permission_required("tracker.change_flaggeditem", raise_exception=True)
def item_bulk_action(request):
    """The list's action bar: the selected items go to the same bulk services as the API's; a summary page."""
    ids, reason, actor = selected_ids(request), request.POST.get("reason", ""), request.user
    try:
        match request.POST.get("action", ""):
            case "verify":
                result = item_bulk.bulk_verify(actor=actor, ids=ids, reason=reason)
            case "transition":
                to_status = request.POST.get("status", "")
                result = item_bulk.bulk_transition(actor=actor, ids=ids, to_status=to_status, reason=reason)
            case "category":
                category = Category.objects.filter(slug=request.POST.get("category", "")).first()
                if category is None:
                    raise DomainError(_("Choose a category."))
                result = item_bulk.bulk_change_category(actor=actor, ids=ids, category=category, reason=reason)
            case "add_to_case":
                case = Case.objects.select_related("platform").filter(pk=_number(request.POST.get("case"))).first()
                if case is None:
                    raise DomainError(_("No case has that number."))
                result = case_bulk.bulk_add_to_case(actor=actor, case=case, ids=ids)
            case _:
                raise DomainError(_("Choose an action."))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back_to_list(request, "item"))
    return bulk_result_page(request, result, kind="item")


def _number(value) -> int | None:
    value = (value or "").strip().lstrip("#")
    return int(value) if value.isdigit() else None
