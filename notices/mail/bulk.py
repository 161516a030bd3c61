"""Bulk actions on inbound mail: dismiss the selected emails, or attach them to one notice, each through the
per-message service (`notices.inbound`) in its own savepoint, refusals reported per id.

Who may: as the per-message services (`notices.triage_inboundmail`: liaison officers and supervisors).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from notices import inbound
from notices.models import InboundMail
from tracker.core.errors import DomainError, require_permission
from tracker.items.bulk import BulkResult, _selection


def _each_mail(*, ids, act) -> BulkResult:
    chosen = _selection(ids)
    result = BulkResult()
    mails = {mail.pk: mail for mail in InboundMail.objects.filter(pk__in=chosen).defer("text")}
    for pk in chosen:
        mail = mails.get(pk)
        if mail is None:
            result.refuse(pk, _("No such email."))
            continue
        try:
            with transaction.atomic():
                act(mail)
        except DomainError as refusal:
            result.refuse(pk, refusal.message)
        else:
            result.done.append(pk)
    return result


def bulk_dismiss(*, actor, ids, note: str) -> BulkResult:
    """Set aside every selected email that is still to be handled, with the same note."""
    require_permission(actor, "notices.triage_inboundmail")
    return _each_mail(ids=ids, act=lambda mail: inbound.dismiss_inbound_mail(inbound=mail, actor=actor, note=note))


def bulk_match(*, actor, ids, reference: str, note: str = "") -> BulkResult:
    """Attach every selected email to the notice `reference`."""
    require_permission(actor, "notices.triage_inboundmail")
    notice = inbound.notice_by_reference(reference)
    return _each_mail(
        ids=ids, act=lambda mail: inbound.match_inbound_mail(inbound=mail, notice=notice, actor=actor, note=note)
    )
