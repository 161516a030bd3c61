"""UI of evidence: attaching files to an item and downloading them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker.core.errors import DomainError
from tracker.evidence import services as evidence_services
from tracker.evidence.api import evidence_download_response
from tracker.evidence.forms import EvidenceForm
from tracker.evidence.models import Evidence
from tracker.items.models import FlaggedItem


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
    evidence = get_object_or_404(Evidence.objects.select_related("file"), pk=pk)
    return evidence_download_response(evidence, reader=request.user)
