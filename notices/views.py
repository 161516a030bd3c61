"""UI of notices: the list, one notice with its evidence, sending and recording from the case, replies,
rebuttals, sanctions and notifications. Thin: every write is a service call; the services check permissions
again whatever door called them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from platforms.models import Platform
from tracker.cases.models import Case
from tracker.core import audit, pdf
from tracker.core.bulk_pages import back_to_list, bulk_result_page, selected_ids
from tracker.core.csv_export import stream_csv
from tracker.core.errors import DomainError, show_on_form
from tracker.core.listing import label_rows, list_page, query_without_page
from tracker.core.models import AuditEntry
from tracker.evidence.services import open_stored
from tracker.items.models import FlaggedItem

from . import bulk as notice_bulk
from . import delivery, ladder, letters, rechecks, replies, selectors, sending
from . import rebuttals as rebuttal_services
from . import sanctions as sanction_services
from .filters import NoticeFilter
from .forms import (
    DecideRebuttalForm,
    EscalationPolicyForm,
    PastNoticeForm,
    RebuttalForm,
    ReplyForm,
    SanctionStateForm,
    SendNoticeForm,
)
from .models import (
    Delivery,
    EscalationStep,
    Notice,
    Notification,
    Rebuttal,
    RebuttalAttachment,
    ReplyAttachment,
    Sanction,
)
from .sweep import sweep_lease


def _get_notice(pk: int) -> Notice:
    try:
        return selectors.notice_detail(pk)
    except Notice.DoesNotExist:
        raise Http404 from None


# --- the list and one notice ----------------------------------------------------------------------


@login_required
@permission_required("notices.view_notice", raise_exception=True)
def notice_list(request):
    filters = NoticeFilter(request.GET, queryset=selectors.notices().order_by("-sent_at", "-prepared_at", "-id"))
    rows = filters.qs
    if request.GET.get("format") == "csv":
        header = [
            "reference", "case_id", "case", "platform", "step", "step_kind", "status", "urgency", "sent_at_utc",
            "sent_by", "deadline_at_utc", "answered_at_utc", "lapsed_at_utc", "recorded_afterwards", "recorded_by",
            "recipients",
        ]  # fmt: skip
        data = (
            [
                n.reference, n.case_id, n.case.title, n.case.platform.name, n.step.name, n.step.kind, n.status,
                n.urgency, _iso(n.sent_at), n.sent_by_label, _iso(n.deadline_at), _iso(n.answered_at),
                _iso(n.lapsed_at), "yes" if n.recorded_afterwards else "no",
                n.recorded_by.username if n.recorded_by else "", " ".join(n.recipients),
            ]
            for n in rows.iterator(chunk_size=2000)
        )  # fmt: skip
        return stream_csv("notices.csv", header, data)
    page = list_page(request, rows, sortable={"sent": "sent_at", "deadline": "deadline_at"}, default_sort="-sent")
    now = timezone.now()
    page.object_list = label_rows(page.object_list, "status")
    for notice in page:
        notice.overdue = notice.is_overdue(now)
        notice.deadline_phrase = selectors.deadline_phrase(notice.deadline_at, now) if notice.is_awaiting_reply else ""
    return render(
        request, "notices/notice_list.html", {"filters": filters, "page": page, "query": query_without_page(request)}
    )


def _iso(value) -> str:
    return value.isoformat() if value else ""


@login_required
@permission_required("notices.view_notice", raise_exception=True)
def notice_detail(request, pk):
    notice = _get_notice(pk)
    user = request.user
    now = timezone.now()
    rebuttals = list(selectors.rebuttals_of(notice)) if user.has_perm("notices.view_rebuttal") else []
    for rebuttal in rebuttals:
        if not rebuttal.decision and user.has_perm("notices.decide_rebuttal"):
            rebuttal.form = DecideRebuttalForm(auto_id=f"id_rebuttal{rebuttal.pk}_%s")
    sanction = selectors.sanction_of(notice) if user.has_perm("notices.view_sanction") else None
    if sanction is not None:
        add_sanction_form(sanction, user)
    return render(
        request,
        "notices/notice_detail.html",
        {
            "notice": notice,
            "overdue": notice.is_overdue(now),
            "deadline_phrase": selectors.deadline_phrase(notice.deadline_at, now) if notice.is_awaiting_reply else "",
            "rule": selectors.describe_rule(notice),
            "entries": notice.notice_items.all(),
            "deliveries": notice.deliveries.all() if user.has_perm("notices.view_delivery") else None,
            "replies": _with_lateness(notice.replies.all()),
            # a lapsed notice takes a late reply
            "takes_reply": notice.is_awaiting_reply or notice.status == Notice.Status.LAPSED,
            "inbound_mails": notice.inbound_mails.all() if user.has_perm("notices.view_inboundmail") else None,
            "rebuttals": rebuttals,
            "sanction": sanction,
            "history": audit.history(notice),
        },
    )


@login_required
@permission_required("notices.view_notice", raise_exception=True)
def notice_letter(request, pk):
    """The notice as a printable letter, with a link to its PDF; readable by whoever reads the notice."""
    notice = _get_notice(pk)
    return HttpResponse(
        letters.notice_letter_html(
            notice,
            pdf_url=reverse("notices-letter-pdf", args=[notice.pk]),
            back_url=reverse("notices-detail", args=[notice.pk]),
        )
    )


@login_required
@permission_required("notices.view_notice", raise_exception=True)
def notice_letter_pdf(request, pk):
    notice = _get_notice(pk)
    return pdf.pdf_response(letters.notice_letter_pdf(notice), reference=notice.reference)


def _with_lateness(rows):
    for reply in rows:
        reply.lateness = replies.describe_lateness(reply)
    return rows


@login_required
@require_POST
@permission_required("notices.send_notice", raise_exception=True)
def notice_confirm(request, pk):
    notice = get_object_or_404(Notice, pk=pk)
    try:
        notice = sending.confirm_prepared_notice(notice=notice, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if notice.mail_queued is False:
            messages.warning(request, waiting_for_queue(notice))
        else:
            messages.success(
                request,
                _("%(reference)s sent to %(to)s.")
                % {"reference": notice.reference, "to": ", ".join(notice.recipients)},
            )
    return redirect("notices-detail", pk)


@login_required
@require_POST
@permission_required("notices.send_notice", raise_exception=True)
def notice_bulk_action(request):
    """The notice list's action bar: the selected notices go to the same bulk service as the API's."""
    try:
        if request.POST.get("action") != "confirm":
            raise DomainError(_("Choose an action."))
        result = notice_bulk.bulk_confirm(actor=request.user, ids=selected_ids(request))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back_to_list(request, "notice"))
    return bulk_result_page(request, result, kind="notice")


def waiting_for_queue(notice: Notice) -> str:
    """What the person who sent a notice is told when its mail could not be queued (the sweep sends it)."""
    minutes = max(1, round(sweep_lease().total_seconds() / 60))
    return _(
        "%(reference)s is sent and saved, but the mail queue is unreachable: its email goes out when the queue "
        "is back, sent by the sweep within about %(minutes)d minutes."
    ) % {"reference": notice.reference, "minutes": minutes}


@login_required
@permission_required("notices.view_delivery", raise_exception=True)
def delivery_message(request, pk):
    """The exact message sent to one recipient, as a .eml file: the proof of what was delivered."""
    delivery = get_object_or_404(Delivery.objects.select_related("notice"), pk=pk)
    return delivery_message_response(delivery, reader=request.user)


def delivery_message_response(delivery: Delivery, *, reader) -> HttpResponse:
    """The delivery's exact bytes as a downloaded .eml (never shown in our origin), for the UI and the API;
    who read it is recorded in the audit trail."""
    audit.record(obj=delivery, action=AuditEntry.Action.EVENT, actor=reader, reason="downloaded")
    response = HttpResponse(bytes(delivery.raw_message), content_type="message/rfc822")
    about = delivery.notice.reference if delivery.notice else delivery.message_id.strip("<>").partition("@")[0]
    name = f"{slugify(about)}-{slugify(delivery.recipient)}.eml"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Message-SHA256"] = delivery.sha256
    return response


@login_required
def attachment_download(request, kind, pk):
    """A file that came with a reply or a rebuttal, as an attachment (it must never run in our origin)."""
    model, permission = {
        "reply": (ReplyAttachment, "notices.view_replyattachment"),
        "rebuttal": (RebuttalAttachment, "notices.view_rebuttalattachment"),
    }.get(kind, (None, None))
    if model is None:
        raise Http404
    if not request.user.has_perm(permission):
        raise PermissionDenied
    attachment = get_object_or_404(model.objects.select_related("file"), pk=pk)
    content_type = attachment.file.content_type
    response = FileResponse(
        open_stored(attachment.file),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=content_type if content_type.startswith("image/") else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Evidence-SHA256"] = attachment.file.sha256
    return response


# --- replies and rebuttals ------------------------------------------------------------------------


@login_required
@permission_required("notices.add_platformreply", raise_exception=True)
def notice_reply(request, pk):
    notice = _get_notice(pk)
    initial = {"received_at": timezone.localtime().replace(second=0, microsecond=0), "channel": "email"}
    if request.GET.get("mail"):
        initial["inbound_mail"] = request.GET["mail"]
        initial.pop("received_at")
    form = ReplyForm(request.POST or None, request.FILES or None, notice=notice, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            reply = replies.record_platform_reply(
                notice=notice,
                actor=request.user,
                received_at=data["received_at"],
                channel=data["channel"],
                summary=data["summary"],
                outcomes=form.outcomes(),
                recorded_afterwards=data["recorded_afterwards"],
                inbound_mail=data["inbound_mail"],
                attachments=data["attachments"],
            )
        except DomainError as exc:
            show_on_form(form, exc, aliases={"file": "attachments"})
        else:
            reply.notice.refresh_from_db(fields=["status"])
            if reply.late:
                messages.success(
                    request,
                    _("Reply recorded as late (%(lateness)s); %(reference)s stays %(status)s.")
                    % {
                        "lateness": replies.describe_lateness(reply),
                        "reference": notice.reference,
                        "status": reply.notice.get_status_display(),
                    },
                )
            else:
                messages.success(
                    request,
                    _("Reply recorded: %(reference)s is %(status)s.")
                    % {"reference": notice.reference, "status": reply.notice.get_status_display()},
                )
            return redirect("notices-detail", notice.pk)
    elif request.method == "POST" and request.FILES:
        messages.warning(request, _("Choose the attachments again: a browser does not keep them."))
    return render(request, "notices/reply_form.html", {"notice": notice, "form": form})


@login_required
@permission_required("notices.add_rebuttal", raise_exception=True)
def notice_rebuttal(request, pk):
    notice = _get_notice(pk)
    initial = {"received_at": timezone.localtime().replace(second=0, microsecond=0)}
    if request.GET.get("item"):
        initial["notice_item"] = request.GET["item"]
    form = RebuttalForm(request.POST or None, request.FILES or None, notice=notice, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rebuttal_services.record_rebuttal(
                notice_item=data["notice_item"],
                actor=request.user,
                received_at=data["received_at"],
                reasons=data["reasons"],
                attachments=data["attachments"],
                reply=data["reply"],
            )
        except DomainError as exc:
            show_on_form(form, exc, aliases={"file": "attachments"})
        else:
            messages.success(request, _("Rebuttal recorded; a supervisor decides it."))
            return redirect("notices-detail", notice.pk)
    return render(request, "notices/rebuttal_form.html", {"notice": notice, "form": form})


@login_required
@require_POST
@permission_required("notices.decide_rebuttal", raise_exception=True)
def rebuttal_decide(request, pk):
    rebuttal = get_object_or_404(Rebuttal.objects.select_related("notice_item"), pk=pk)
    form = DecideRebuttalForm(request.POST)
    if not form.is_valid():
        for problems in form.errors.values():
            messages.error(request, " ".join(problems))
    else:
        try:
            rebuttal_services.decide_rebuttal(
                rebuttal=rebuttal,
                actor=request.user,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Decision recorded."))
    return redirect("notices-detail", rebuttal.notice_item.notice_id)


# --- from the case --------------------------------------------------------------------------------


def _case(pk) -> Case:
    return get_object_or_404(Case.objects.select_related("platform", "owner"), pk=pk)


@login_required
@permission_required("notices.send_notice", raise_exception=True)
def case_send_notice(request, pk):
    """Send the case's next notice in two steps: "Preview" shows the text, the recipients and the deadline as they
    would go out; "Send now" sends. Nothing is offered while `send_blockers` names a reason it would be refused."""
    case = _case(pk)
    try:
        step = ladder.next_step_for(case)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("cases-detail", case.pk)
    blockers = sending.send_blockers(case)
    form = SendNoticeForm(request.POST or None, case=case)
    preview = None
    if request.method == "POST" and not blockers and form.is_valid():
        items = list(form.cleaned_data["items"])
        try:
            if "send" not in request.POST:
                preview = sending.preview_notice(case=case, actor=request.user, items=items)
            else:
                notice = sending.send_notice(case=case, actor=request.user, items=items)
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            if preview is None:
                if notice.mail_queued is False:
                    messages.warning(request, waiting_for_queue(notice))
                else:
                    messages.success(
                        request,
                        _("%(step)s %(reference)s sent to %(to)s.")
                        % {"step": notice.step.name, "reference": notice.reference, "to": ", ".join(notice.recipients)},
                    )
                return redirect("notices-detail", notice.pk)
    rule = ladder.deadline_rule(step, "urgent"), ladder.deadline_rule(step, "normal")
    return render(
        request,
        "notices/send_form.html",
        {
            "case": case,
            "step": step,
            "form": form,
            "blockers": blockers,
            "preview": preview,
            "urgent_rule": rule[0].describe(),
            "normal_rule": rule[1].describe(),
        },
    )


@login_required
@permission_required("notices.send_notice", raise_exception=True)
def case_record_past_notice(request, pk):
    case = _case(pk)
    try:
        policy = ladder.policy_for(case.platform)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("cases-detail", case.pk)
    steps = policy.steps.exclude(kind=EscalationStep.Kind.BLOCK_PROPOSAL).order_by("position")
    form = PastNoticeForm(request.POST or None, case=case, steps=steps)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice = sending.record_past_notice(
                case=case,
                actor=request.user,
                sent_at=data["sent_at"],
                items=list(data["items"]),
                step=data["step"],
                recipients=data["recipients"],
                subject=data["subject"],
                body=data["body"],
                deadline_at=data["deadline_at"],
                sent_by_label=data["sent_by_label"],
            )
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            if notice.beyond_ladder:
                messages.success(
                    request,
                    _(
                        "%(reference)s recorded afterwards, beyond the ladder: it repeats %(step)s and escalates "
                        "nothing."
                    )
                    % {"reference": notice.reference, "step": notice.step.name},
                )
            else:
                messages.success(request, _("%(reference)s recorded afterwards.") % {"reference": notice.reference})
            return redirect("notices-detail", notice.pk)
    return render(request, "notices/past_notice_form.html", {"case": case, "form": form})


def add_sanction_form(sanction: Sanction, user) -> None:
    next_states = Sanction.STATE_MACHINE.next_states(sanction.state)
    sanction.form = (
        SanctionStateForm(sanction=sanction, next_states=next_states)
        if next_states and user.has_perm("notices.manage_sanction")
        else None
    )


@login_required
@require_POST
@permission_required("notices.manage_sanction", raise_exception=True)
def sanction_state(request, pk):
    sanction = get_object_or_404(Sanction, pk=pk)
    next_states = Sanction.STATE_MACHINE.next_states(sanction.state)
    form = SanctionStateForm(request.POST, sanction=sanction, next_states=next_states)
    if not form.is_valid():
        for problems in form.errors.values():
            messages.error(request, " ".join(problems))
    else:
        data = form.cleaned_data
        try:
            sanction_services.change_sanction_state(
                sanction=sanction,
                actor=request.user,
                to_state=data["to_state"],
                at=data["at"],
                payment_reference=data["payment_reference"],
                note=data["note"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Sanction updated."))
    return _back(request, fallback=("cases-detail", sanction.case_id))


def _back(request, *, fallback):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(*fallback)


# --- notifications --------------------------------------------------------------------------------


@login_required
def notification_list(request):
    rows = selectors.notifications_for(request.user)
    page = list_page(request, rows)
    emails = {d.about_id: d for d in delivery.deliveries_about(Notification, [n.pk for n in page])}
    for notification in page:
        notification.target = notification_target(notification)
        notification.email = emails.get(notification.pk)
    return render(request, "notices/notification_list.html", {"page": page, "query": ""})


def notification_target(notification: Notification) -> str:
    from django.urls import reverse

    if notification.link:
        return notification.link
    if notification.notice_id:
        return reverse("notices-detail", args=[notification.notice_id])
    if notification.case_id:
        return reverse("cases-detail", args=[notification.case_id])
    return ""


@login_required
def notification_open(request, pk):
    """Follow a notification to what it is about, marking it read on the way (as a mail program does)."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    if notification.read_at is None:
        Notification.objects.filter(pk=pk, read_at__isnull=True).update(read_at=timezone.now())
    target = notification_target(notification)
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect(target or "notifications-list")


@login_required
@require_POST
def notification_read(request, pk):
    with transaction.atomic():
        Notification.objects.filter(pk=pk, user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return _back(request, fallback=("notifications-list",))


@login_required
@require_POST
def notification_read_all(request):
    count = Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    messages.success(
        request,
        ngettext("%(count)d notification marked read.", "%(count)d notifications marked read.", count)
        % {"count": count},
    )
    return _back(request, fallback=("notifications-list",))


@login_required
@require_POST
def escalation_policy(request, pk):
    platform = get_object_or_404(Platform, pk=pk)
    if not request.user.has_perm("notices.change_escalationpolicy"):
        raise PermissionDenied
    form = EscalationPolicyForm(request.POST, platform=platform)
    if form.is_valid():
        try:
            policy = ladder.assign_escalation_policy(
                platform=platform, policy=form.cleaned_data["policy"], actor=request.user
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("%(platform)s now follows %(policy)s.") % {"platform": platform, "policy": policy}
            )
    else:
        messages.error(request, _("Choose an escalation policy from the list."))
    return redirect("platforms-detail", platform.pk)


@login_required
@require_POST
@permission_required("notices.request_contentcheck", raise_exception=True)
def item_recheck(request, pk):
    """The item page's "check now": the same service as the API's content-checks action."""
    item = get_object_or_404(FlaggedItem, pk=pk)
    try:
        rechecks.request_recheck(item=item, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("A re-check of the content is queued; its outcome appears below."))
    return redirect("items-detail", pk)
