"""UI of inbound email: the list with the triage queue first, uploads, a message's page and its triage."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Case, IntegerField, Value, When
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notices import inbound
from notices.models import InboundMail
from tracker.core import audit
from tracker.core.bulk_pages import back_to_list, bulk_result_page, selected_ids
from tracker.core.csv_export import stream_csv
from tracker.core.errors import DomainError, show_on_form
from tracker.core.listing import label_rows, list_page, query_without_page
from tracker.core.models import AuditEntry
from tracker.evidence.services import open_stored

from . import bulk as mail_bulk
from .filters import InboundMailFilter
from .forms import DismissForm, MatchForm, UploadForm

can_view = permission_required("notices.view_inboundmail", raise_exception=True)
can_triage = permission_required("notices.triage_inboundmail", raise_exception=True)


def triage_first(queryset):
    """The triage queue first, then what waits to be recorded, then the rest; newest first in each."""
    rank = Case(
        When(state=InboundMail.State.TRIAGE, then=Value(0)),
        When(state=InboundMail.State.ATTACHED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return queryset.annotate(queue_rank=rank).order_by("queue_rank", "-received_at", "-id")


@login_required
@can_view
def mail_list(request):
    filters = InboundMailFilter(
        request.GET, queryset=triage_first(InboundMail.objects.select_related("notice")).defer("text")
    )
    mails = filters.qs
    if request.GET.get("format") == "csv":
        header = [
            "id", "received_at_utc", "source", "kind", "state", "from", "subject", "message_id", "notice",
            "matched_by", "triage_reason", "size", "sha256",
        ]  # fmt: skip
        rows = (
            [
                mail.pk, mail.received_at.isoformat(), mail.source, mail.kind, mail.state, mail.from_address,
                mail.subject, mail.message_id, mail.notice.reference if mail.notice else "", mail.matched_by,
                mail.triage_reason, mail.size, mail.sha256,
            ]
            for mail in mails.iterator(chunk_size=2000)
        )  # fmt: skip
        return stream_csv("inbound-email.csv", header, rows)
    page = list_page(request, mails, sortable={"received": "received_at"}, default_sort="-received")
    page.object_list = label_rows(page.object_list, "kind", "state")
    return render(
        request,
        "notices/mail/mail_list.html",
        {
            "filters": filters,
            "page": page,
            "query": query_without_page(request),
            "triage_count": InboundMail.objects.filter(state=InboundMail.State.TRIAGE).count(),
        },
    )


@login_required
@require_POST
@permission_required("notices.triage_inboundmail", raise_exception=True)
def mail_bulk_action(request):
    """The inbound email list's action bar: the same bulk services as the API's, then a summary page."""
    ids, note, actor = selected_ids(request), request.POST.get("note", ""), request.user
    try:
        match request.POST.get("action", ""):
            case "dismiss":
                result = mail_bulk.bulk_dismiss(actor=actor, ids=ids, note=note)
            case "match":
                reference = request.POST.get("reference", "").strip()
                result = mail_bulk.bulk_match(actor=actor, ids=ids, reference=reference, note=note)
            case _:
                raise DomainError(_("Choose an action."))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back_to_list(request, "email"))
    return bulk_result_page(request, result, kind="email")


@login_required
@can_triage
def mail_upload(request):
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if form.is_bound and form.is_valid():
        stored = []
        for upload in form.cleaned_data["files"]:
            try:
                mail = upload_one(upload, actor=request.user)
            except DomainError as exc:
                form.add_error("files", exc.message)
            else:
                stored.append(mail)
                messages.success(request, f"{upload.name}: {inbound.outcome_of(mail)}")
        if not form.errors:
            if len(stored) == 1:
                return redirect("notices-mail-detail", stored[0].pk)
            return redirect("notices-mail-list")
    return render(request, "notices/mail/mail_upload.html", {"form": form, "max_bytes": inbound.max_bytes()})


def upload_one(upload, *, actor) -> InboundMail:
    return inbound.ingest_message(read_upload(upload), source=InboundMail.Source.UPLOAD, actor=actor)


def check_file(upload) -> None:
    """Refuse a file that is empty, over the limit or not an email, reading no more than its first bytes."""
    name = upload.name or "message.eml"
    inbound.check_upload(name, None, size=upload.size)
    head = upload.read(inbound.SNIFF_BYTES)
    upload.seek(0)
    inbound.check_upload(name, head, size=upload.size)


def read_upload(upload) -> bytes:
    """The bytes of one uploaded file, checked to be one email; a file over the limit is never read."""
    check_file(upload)
    data = upload.read()
    inbound.check_upload(upload.name or "message.eml", data)
    return data


def _mail(pk) -> InboundMail:
    return get_object_or_404(
        InboundMail.objects.select_related("notice__case", "raw_file", "uploaded_by", "handled_by"), pk=pk
    )


def notice_link(notice) -> str:
    """The notice's page if the notices room has one, else its case's page."""
    try:
        return reverse("notices-detail", args=[notice.pk])
    except NoReverseMatch:
        return reverse("cases-detail", args=[notice.case_id])


@login_required
@can_view
def mail_detail(request, pk):
    mail = _mail(pk)
    return _detail(request, mail)


def _detail(request, mail, *, match_form=None, dismiss_form=None, status=200):
    reports = mail.delivery_reports.select_related("delivery").order_by("id")
    return render(
        request,
        "notices/mail/mail_detail.html",
        {
            "mail": mail,
            "reports": reports,
            "notice_url": notice_link(mail.notice) if mail.notice else "",
            "record_url": _record_link(request, mail),
            "can_match": mail.state == InboundMail.State.TRIAGE,
            "can_dismiss": mail.state in (InboundMail.State.TRIAGE, InboundMail.State.ATTACHED),
            "match_form": match_form or MatchForm(),
            "dismiss_form": dismiss_form or DismissForm(),
        },
        status=status,
    )


def _record_link(request, mail) -> str:
    """Where a liaison officer records the platform's reply from this email, when there is one to record."""
    if not (
        mail.state == InboundMail.State.ATTACHED
        and mail.kind in inbound.PERSON_KINDS
        and mail.notice.is_awaiting_reply
        and request.user.has_perm("notices.add_platformreply")
    ):
        return ""
    try:
        return f"{reverse('notices-reply', args=[mail.notice_id])}?mail={mail.pk}"
    except NoReverseMatch:
        return ""


@login_required
@can_view
def mail_raw(request, pk):
    return raw_download_response(_mail(pk), reader=request.user)


def raw_download_response(mail: InboundMail, *, reader) -> FileResponse:
    """The message exactly as received, as an attachment (it never renders in the tracker's origin); who read
    it is recorded in the audit trail."""
    audit.record(obj=mail, action=AuditEntry.Action.EVENT, actor=reader, reason="downloaded")
    response = FileResponse(
        open_stored(mail.raw_file),
        as_attachment=True,
        filename=f"inbound-{mail.pk}.eml",
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Evidence-SHA256"] = mail.sha256
    return response


@login_required
@require_POST
@can_triage
def mail_match(request, pk):
    mail = _mail(pk)
    form = MatchForm(request.POST)
    if form.is_valid():
        try:
            notice = inbound.notice_by_reference(form.cleaned_data["reference"])
            inbound.match_inbound_mail(inbound=mail, notice=notice, actor=request.user, note=form.cleaned_data["note"])
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Attached to %(reference)s.") % {"reference": notice.reference})
            return redirect("notices-mail-detail", mail.pk)
    return _detail(request, mail, match_form=form, status=400)


@login_required
@require_POST
@can_triage
def mail_dismiss(request, pk):
    mail = _mail(pk)
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            inbound.dismiss_inbound_mail(inbound=mail, actor=request.user, note=form.cleaned_data["note"])
        except DomainError as exc:
            show_on_form(form, exc)
        else:
            messages.success(request, _("Dismissed."))
            return redirect("notices-mail-list")
    return _detail(request, mail, dismiss_form=form, status=400)
