"""UI of cases. Thin: every write is a service call."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from tracker.cases import bulk as case_bulk
from tracker.cases import services as case_services
from tracker.cases.filters import CaseFilter
from tracker.cases.forms import AddItemsForm, CaseForm
from tracker.cases.models import Case
from tracker.cases.timeline import case_timeline
from tracker.core import audit
from tracker.core.bulk_pages import back_to_list, bulk_result_page, selected_ids
from tracker.core.canonical import InvalidItem
from tracker.core.csv_export import stream_csv
from tracker.core.errors import DomainError, show_on_form
from tracker.core.listing import label_rows, list_page, query_without_page
from tracker.core.models import User
from tracker.core.panels import page_panels
from tracker.evidence.models import Evidence
from tracker.items import services as item_services
from tracker.items.models import FlaggedItem

MAX_PASTED_LINES = 5000  # more is an import's work


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
    page = list_page(request, cases.qs, sortable={"opened": "opened_at"}, default_sort="-opened")
    page.object_list = label_rows(page.object_list, "status")
    return render(
        request,
        "cases/case_list.html",
        {
            "filters": cases,
            "page": page,
            "query": query_without_page(request),
            "bulk_statuses": Case.Status.choices,
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
    return render(request, "cases/case_form.html", {"form": form})


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
    page = list_page(request, items)
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "page": page,
            "query": "",
            "evidence_total": Evidence.objects.filter(
                item__memberships__case=case, item__memberships__removed_at__isnull=True
            ).count(),
            "timeline": case_timeline(case),
            "panels": page_panels(request, "case", case),
            "next_statuses": [Case.Status(s) for s in Case.STATE_MACHINE.next_states(case.status)],
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
    line_of, problems = {}, []  # problems: (line number, why)
    for number, line in enumerate(lines, start=1):
        try:
            found, _platform = item_services.recognise(line, registry=registry, handle_platform=case.platform)
            line_of.setdefault(found.canonical, number)
        except InvalidItem as exc:
            problems.append((number, exc.message))
    known = {item.pk: item.canonical for item in FlaggedItem.objects.filter(canonical__in=line_of)}
    for canonical in set(line_of) - set(known.values()):
        problems.append((line_of[canonical], _("not logged yet, so not added: %(item)s") % {"item": canonical}))
    added = 0
    if known:
        # Line by line: one of another platform is refused, the others are added.
        result = case_bulk.bulk_add_to_case(actor=request.user, case=case, ids=list(known))
        added = len(result.done)
        problems += [(line_of[known[refusal["id"]]], refusal["reason"]) for refusal in result.refused]
    messages.success(request, ngettext("%(count)d item added.", "%(count)d items added.", added) % {"count": added})
    for number, why in sorted(problems)[:20]:
        messages.error(request, _("line %(n)d: %(why)s") % {"n": number, "why": why})
    if len(problems) > 20:
        messages.error(request, _("… and %(count)d more lines refused.") % {"count": len(problems) - 20})
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


@login_required
@require_POST
@permission_required("tracker.change_case", raise_exception=True)
def case_bulk_action(request):
    """The case list's action bar: the selected cases go to the same bulk service as the API's; a summary page."""
    ids, reason, actor = selected_ids(request), request.POST.get("reason", ""), request.user
    try:
        match request.POST.get("action", ""):
            case "transition":
                to_status = request.POST.get("status", "")
                result = case_bulk.bulk_case_transition(actor=actor, ids=ids, to_status=to_status, reason=reason)
            case "assign":
                owner = User.objects.filter(username=request.POST.get("owner", "").strip(), is_active=True).first()
                if owner is None:
                    raise DomainError(_("No active account has that user name."))
                result = case_bulk.bulk_assign_owner(actor=actor, ids=ids, owner=owner, reason=reason)
            case _:
                raise DomainError(_("Choose an action."))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back_to_list(request, "case"))
    return bulk_result_page(request, result, kind="case")
