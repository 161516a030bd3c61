"""UI of block orders, the blocklist and the ISP registry. ISP accounts use the API, not these pages."""

from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker.core import audit, pdf, queueing
from tracker.core.csv_export import stream_csv
from tracker.core.errors import DomainError, show_on_form
from tracker.core.listing import list_page, query_without_page

from . import blocklist as blocklist_periods
from . import compliance, exports, letters, mail, services, signing, zone_transfer
from .forms import AsOfForm, ISPForm, LiftForm, OrderForm
from .models import ISP, BlocklistVersion, BlockOrder, BlockProposal, OrderRecipient

ui_permission = permission_required("blocking.view_isp", raise_exception=True)


@login_required
@ui_permission
def order_list(request):
    orders = (
        BlockOrder.objects.select_related("case", "lifts")
        .annotate(name_count=Count("names"))
        .order_by("-effective_at", "-id")
    )
    status, kind = request.GET.get("status", ""), request.GET.get("kind", "")
    if status:
        orders = orders.filter(status=status)
    if kind:
        orders = orders.filter(kind=kind)
    isp = request.GET.get("isp", "")
    if isp.isdigit():  # the orders addressed to one ISP (the figures link here, with the period's days)
        orders = orders.filter(recipients__isp_id=int(isp))
    for name, lookup in (("issued_after", "issued_at__date__gte"), ("issued_before", "issued_at__date__lte")):
        value = request.GET.get(name, "")
        if not value:
            continue
        try:
            orders = orders.filter(**{lookup: date.fromisoformat(value)})
        except ValueError:
            messages.error(request, _("Not a date (YYYY-MM-DD): %(value)s") % {"value": value[:40]})
    if request.GET.get("format") == "csv":
        header = ["reference", "kind", "status", "names", "effective_at", "ends_at", "case"]
        rows = (
            [
                order.reference,
                order.kind,
                order.status,
                order.name_count,
                order.effective_at.isoformat(),
                order.ends_at.isoformat() if order.ends_at else "",
                order.case.title if order.case else "",
            ]
            for order in orders.iterator(chunk_size=2000)
        )
        return stream_csv("block-orders.csv", header, rows)
    proposals = BlockProposal.objects.filter(status=BlockProposal.Status.OPEN).select_related("case__platform")
    return render(
        request,
        "blocking/order_list.html",
        {
            "page": list_page(request, orders),
            "query": query_without_page(request),
            "statuses": BlockOrder.Status.choices,
            "kinds": BlockOrder.Kind.choices,
            "proposals": proposals[:50],
        },
    )


@login_required
@permission_required("blocking.add_blockorder", raise_exception=True)
def order_new(request):
    proposal = None
    if request.GET.get("proposal") or request.POST.get("proposal"):
        proposal = get_object_or_404(
            BlockProposal.objects.select_related("case__platform"),
            pk=request.GET.get("proposal") or request.POST.get("proposal"),
        )
    citable = services.notices_behind(proposal.case if proposal else None)
    # "Record a block order of the past": given outside the tracker, with its real times (never mailed).
    past = _recording_the_past(request)
    if request.method == "POST":
        form = OrderForm(request.POST, notices=citable)
        if form.is_valid():
            data = form.cleaned_data
            draft = services.record_past_order if past else services.create_block_order
            try:
                order = draft(
                    actor=request.user,
                    names=data["names"],
                    justification=data["justification"],
                    legal_basis=data["legal_basis"],
                    notice_references=data["notice_references"],
                    notices=list(data.get("notices") or []),
                    effective_at=data["effective_at"],
                    ends_at=data["ends_at"],
                    isps=None if data["binds_all_isps"] else list(data["isps"]),
                    proposal=proposal,
                )
            except DomainError as exc:
                show_on_form(form, exc)
            else:
                messages.success(request, _("Order %(ref)s drafted.") % {"ref": order.reference})
                return redirect("blocking-order-detail", order.pk)
    else:
        initial = {"binds_all_isps": True}
        if proposal:
            initial["names"] = "\n".join(services.prefill_names(proposal=proposal))
            initial["justification"] = proposal.reason
            initial["legal_basis"] = _legal_basis(proposal.case)
            initial["notices"] = list(citable)
        form = OrderForm(initial=initial, notices=citable)
    return render(request, "blocking/order_form.html", {"form": form, "proposal": proposal, "past": past})


def _recording_the_past(request) -> bool:
    return (request.POST.get("past") or request.GET.get("past")) == "1"


def _legal_basis(case) -> str:
    bases = {item.category.legal_basis for item in case.items.select_related("category")[:200]}
    return "\n".join(sorted(bases))


@login_required
@ui_permission
def order_detail(request, pk):
    order = get_object_or_404(
        BlockOrder.objects.select_related("case__platform", "proposed_by", "approved_by", "lifts", "proposal"), pk=pk
    )
    recipients = list(order.recipients.select_related("isp"))
    now = timezone.now()
    names = order.names.all()
    checks = compliance.latest_for_names(isp_ids=[r.isp_id for r in recipients], names=[n.name for n in names[:2000]])
    proof = mail.deliveries_of(recipients) if request.user.has_perm("notices.view_delivery") else None
    zones = {state.isp.pk: state for state in zone_transfer.order_zone_states(order, [r.isp for r in recipients])}
    for recipient in recipients:
        recipient.overdue = recipient.is_overdue(now)
        recipient.checks = checks.get(recipient.isp_id, {})
        recipient.zone = zones.get(recipient.isp_id)
    in_force = set(blocklist_periods.open_names(order)) if order.kind == BlockOrder.Kind.BLOCK else set()
    rules = {(r.acknowledge_rule_text(), r.implement_rule_text()) for r in recipients}
    return render(
        request,
        "blocking/order_detail.html",
        {
            "order": order,
            "notices": [(notice, notice_url(notice)) for notice in order.notices.order_by("sent_at", "id")],
            # One rule for every ISP (the usual case) is said once above the table.
            "deadline_rules": rules.pop() if len(rules) == 1 else None,
            "names": [(name, (name.name, name.subtree) in in_force) for name in names[:2000]],
            "name_count": names.count(),
            "recipients": recipients,
            "deliveries": proof,
            "history": audit.history(order),
            "can_approve": request.user.has_perm("blocking.approve_blockorder")
            and request.user.pk != order.proposed_by_id,
            "lift_orders": order.lift_orders.all(),
            # where the tracker serves the RPZ by zone transfer, or did
            "zones_shown": bool(zones)
            and (zone_transfer.enabled() or any(state.reached or state.latest for state in zones.values())),
        },
    )


def _order_for_letter(pk) -> BlockOrder:
    return get_object_or_404(
        BlockOrder.objects.select_related("lifts", "approved_by").prefetch_related("recipients__isp", "isps"), pk=pk
    )


@login_required
@ui_permission
def order_letter(request, pk):
    """The order as a printable letter to the ISPs it binds, with a link to its PDF; readable as the order is."""
    order = _order_for_letter(pk)
    return HttpResponse(
        letters.order_letter_html(
            order,
            pdf_url=reverse("blocking-order-letter-pdf", args=[order.pk]),
            back_url=reverse("blocking-order-detail", args=[order.pk]),
        )
    )


@login_required
@ui_permission
def order_letter_pdf(request, pk):
    order = _order_for_letter(pk)
    return pdf.pdf_response(letters.order_letter_pdf(order), reference=order.reference)


def notice_url(notice) -> str:
    return reverse("notices-detail", args=[notice.pk])


@login_required
@require_POST
@ui_permission
def order_action(request, pk, step):
    order = get_object_or_404(BlockOrder, pk=pk)
    reason = request.POST.get("reason", "")
    try:
        if step == "submit":
            services.submit_for_approval(order=order, actor=request.user)
            messages.success(request, _("Sent for approval."))
        elif step == "approve":
            services.approve_order(
                order=order,
                actor=request.user,
                password=request.POST.get("password", ""),
                otp_code=request.POST.get("otp_code", ""),
            )
            messages.success(request, _("Approved: it will be issued at its effective time."))
        elif step == "send-back":
            services.send_back(order=order, actor=request.user, reason=reason)
            messages.success(request, _("Sent back to draft."))
        elif step == "withdraw":
            services.withdraw_order(order=order, actor=request.user, reason=reason)
            messages.success(request, _("Withdrawn."))
        else:
            return HttpResponse(status=404)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("blocking-order-detail", order.pk)


@login_required
@permission_required("blocking.add_blockorder", raise_exception=True)
def lift_new(request, pk):
    block = get_object_or_404(BlockOrder, pk=pk, kind=BlockOrder.Kind.BLOCK)
    bound = services.isps_bound_by(block)
    form = LiftForm(request.POST or None, initial={"legal_basis": block.legal_basis}, bound_isps=bound)
    past = _recording_the_past(request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        draft = services.record_past_order if past else services.create_lift_order
        try:
            order = draft(
                actor=request.user,
                block_order=block,
                names=data["names"] or None,
                justification=data["justification"],
                legal_basis=data["legal_basis"],
                effective_at=data["effective_at"],
                ends_at=data["ends_at"],
                isps=list(data["isps"]) if "isps" in data else [],
            )
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Lift order %(ref)s drafted.") % {"ref": order.reference})
            return redirect("blocking-order-detail", order.pk)
    in_force = blocklist_periods.open_names(block).order_by("name", "subtree")[:2000]
    context = {"form": form, "block": block, "in_force": in_force, "past": past}
    return render(request, "blocking/lift_form.html", context)


@login_required
@ui_permission
def blocklist(request):
    versions = BlocklistVersion.objects.select_related("order").order_by("-serial")
    return render(
        request,
        "blocking/blocklist.html",
        {
            "serial": exports.current_serial(),
            "page": list_page(request, versions),
            "formats": list(exports.FORMATS),
            "public_key_pem": signing.public_key_pem(),
            "public_key_base64": signing.public_key_base64(),
            "fingerprint": signing.fingerprint(),
            "block_page_target": exports.block_page_target(),
        },
    )


@login_required
@ui_permission
def blocklist_as_of(request):
    """The page's "as of" form: a time in the reader's time zone, sent on to the signed export for that time."""
    form = AsOfForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("Give a date and time, and a format."))
        return redirect("blocking-blocklist")
    url = reverse("api-blocklist-export", args=[form.cleaned_data["kind"]])
    return redirect(f"{url}?{urlencode({'at': form.cleaned_data['at'].isoformat()})}")


@login_required
@ui_permission
def isp_list(request):
    isps = ISP.objects.prefetch_related("accounts__user").annotate(orders=Count("orders_received"))
    rows = []
    late = OrderRecipient.objects.filter(implemented_at__isnull=True).select_related("order")
    by_isp: dict[int, int] = {}
    now = timezone.now()
    for recipient in late.filter(order__status=BlockOrder.Status.IN_FORCE):
        if recipient.is_overdue(now):
            by_isp[recipient.isp_id] = by_isp.get(recipient.isp_id, 0) + 1
    summaries = compliance.latest_summaries()
    for isp in isps:
        rows.append({"isp": isp, "overdue": by_isp.get(isp.pk, 0), "compliance": summaries.get(isp.pk, {})})
    return render(request, "blocking/isp_list.html", {"rows": rows})


@login_required
@permission_required("blocking.add_isp", raise_exception=True)
def isp_edit(request, pk=None):
    isp = get_object_or_404(ISP, pk=pk) if pk else None
    if request.method == "POST":
        form = ISPForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            usernames = [name.strip() for name in data.pop("accounts").split(",") if name.strip()]
            try:
                isp = services.save_isp(actor=request.user, isp=isp, account_usernames=usernames, **data)
            except DomainError as exc:
                show_on_form(form, exc)
            else:
                messages.success(request, _("%(isp)s saved.") % {"isp": isp.name})
                return redirect("blocking-isp-list")
    else:
        initial = {"is_active": True}
        if isp:
            initial = {name: getattr(isp, name) for name in services.ISP_FIELDS}
            initial["accounts"] = ", ".join(isp.accounts.values_list("user__username", flat=True))
        form = ISPForm(initial=initial)
    zone = None
    if isp is not None:
        zone = {
            "name": zone_transfer.zone_name(isp),
            "state": zone_transfer.zone_states([isp])[0],
            "key": zone_transfer.active_key(isp),
            "transfers": zone_transfer.with_lag_text(isp.zone_transfers.all()[:10]),
            "primary": f"{settings.BLOCKING_BIND_ADDRESS} port {settings.BLOCKING_BIND_PORT}",
        }
    return render(request, "blocking/isp_form.html", {"form": form, "isp": isp, "zone": zone})


@login_required
@require_POST
@permission_required("blocking.add_zonetransferkey", raise_exception=True)
def isp_zone_key(request, pk):
    """A new TSIG key for the ISP's zone transfers (the old one revoked), shown on this page once and never again."""
    isp = get_object_or_404(ISP, pk=pk)
    key = zone_transfer.rotate_key(isp=isp, actor=request.user)
    response = render(
        request,
        "blocking/zone_key.html",
        {
            "isp": isp,
            "key": key,
            "zone": zone_transfer.zone_name(isp),
            "primary": f"{settings.BLOCKING_BIND_ADDRESS} port {settings.BLOCKING_BIND_PORT}",
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
@permission_required("blocking.change_isp", raise_exception=True)
def isp_check(request, pk):
    from .tasks import check_compliance

    isp = get_object_or_404(ISP, pk=pk)
    queueing.queue(check_compliance.delay, isp.pk, what=f"check of ISP {isp.pk}")
    messages.success(request, _("Compliance check of %(isp)s queued.") % {"isp": isp.name})
    return redirect("blocking-isp-list")
