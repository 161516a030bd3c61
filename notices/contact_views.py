"""UI of the contact log: logging a contact from the case page, and its attachments' downloads.

The log itself is a section of the case page (`panels.case_panel`); a refused entry comes back on a page of
its own with the errors on their fields.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from tracker.cases.models import Case
from tracker.core import audit
from tracker.core.errors import DomainError, show_on_form
from tracker.core.models import AuditEntry
from tracker.evidence.services import open_stored

from . import contacts
from .forms import ContactForm
from .models import ContactAttachment


@login_required
@permission_required("notices.add_contactentry", raise_exception=True)
def case_contact_add(request, pk):
    case = get_object_or_404(Case.objects.select_related("platform"), pk=pk)
    form = ContactForm(request.POST or None, request.FILES or None, case=case)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = contacts.record_contact(
                case=case,
                actor=request.user,
                kind=data["kind"],
                occurred_at=data["occurred_at"],
                summary=data["summary"],
                ministry_participants=data["ministry_participants"],
                platform_participants=data["platform_participants"],
                attachments=data["attachments"],
                corrects=data["corrects"],
            )
        except DomainError as exc:
            show_on_form(form, exc, aliases={"file": "attachments"})
        else:
            messages.success(request, _("Contact #%(number)d logged.") % {"number": entry.pk})
            return redirect(f"{reverse('cases-detail', args=[case.pk])}#contact-{entry.pk}")
    if request.method == "POST" and request.FILES:
        messages.warning(request, _("Choose the attachments again: a browser does not keep them."))
    return render(request, "notices/contact_form.html", {"case": case, "form": form})


@login_required
@permission_required("notices.view_contactattachment", raise_exception=True)
def contact_attachment(request, pk):
    attachment = get_object_or_404(ContactAttachment.objects.select_related("file"), pk=pk)
    return contact_attachment_response(attachment, reader=request.user)


def contact_attachment_response(attachment: ContactAttachment, *, reader) -> FileResponse:
    """The stored file as an attachment, never shown in the tracker's origin; who read it is in the audit trail,
    as for evidence."""
    audit.record(obj=attachment, action=AuditEntry.Action.EVENT, actor=reader, reason="downloaded")
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
