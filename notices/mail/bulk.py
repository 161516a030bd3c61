"""Bulk actions on inbound mail: dismiss the selected emails, or attach them to one notice, each through the
per-message service (`notices.inbound`) in its own savepoint, refusals reported per id.

Who may: as the per-message services (`notices.triage_inboundmail`: liaison officers and supervisors).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from notices import inbound
from notices.models import InboundMail
from tracker.core.bulk import BulkResult, each_record
from tracker.core.errors import DomainError, require_permission


def _each_mail(*, ids, act) -> BulkResult:
    # Not locked here: the per-message services lock the email they change.
    mails = InboundMail.objects.defer("text")
    return each_record(mails, ids=ids, act=act, missing=_("No such email."), lock=False)


def bulk_dismiss(*, actor, ids, note: str) -> BulkResult:
    """Set aside every selected email that is still to be handled, with the same note."""
    require_permission(actor, "notices.triage_inboundmail")
    if not (note or "").strip():  # refused once for the selection, not once per email
        message = _("Say why the emails are dismissed.")
        raise DomainError(message, fields={"note": [message]})
    return _each_mail(ids=ids, act=lambda mail: inbound.dismiss_inbound_mail(inbound=mail, actor=actor, note=note))


def bulk_match(*, actor, ids, reference: str, note: str = "") -> BulkResult:
    """Attach every selected email to the notice `reference`."""
    require_permission(actor, "notices.triage_inboundmail")
    notice = inbound.notice_by_reference(reference)
    return _each_mail(
        ids=ids, act=lambda mail: inbound.match_inbound_mail(inbound=mail, notice=notice, actor=actor, note=note)
    )
