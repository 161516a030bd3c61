"""A block or lift order as a formal letter to the ISPs: the page, its PDF, and the document each ISP is mailed."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tracker.core import pdf

from . import services  # its deadline rules; services mails through mail, which prints with this module
from .models import BlockOrder, OrderRecipient


def order_zone(order: BlockOrder, recipient: OrderRecipient | None = None):
    """The ISPs' deadline zone: the one the recipient's deadlines were computed in, else the one they would be."""
    stored = recipient.acknowledge_rule if recipient is not None else {}
    if not stored:
        stored = next((r.acknowledge_rule for r in order.recipients.all() if r.acknowledge_rule), {})
    return pdf.zone(stored.get("time_zone") or services.deadline_rules()[0].time_zone)


def order_letter(order: BlockOrder, recipient: OrderRecipient | None = None) -> pdf.Letter:
    """The letter of an order, in the active language: to one ISP (what it is mailed), or to every ISP it binds."""
    in_zone = order_zone(order, recipient)
    names = [str(name) for name in order.names.all()]
    deadlines = [(_("Effective from"), pdf.deadline_in_words(order.effective_at, in_zone))]
    if order.ends_at:
        deadlines.append((_("Ends at"), pdf.deadline_in_words(order.ends_at, in_zone)))
    if recipient is not None:
        deadlines += [
            (_("Acknowledge by"), pdf.deadline_in_words(recipient.acknowledge_due_at, in_zone)),
            (_("Report implemented by"), pdf.deadline_in_words(recipient.implement_due_at, in_zone)),
        ]
    if order.kind == BlockOrder.Kind.LIFT:
        opening = _(
            "You are instructed to stop blocking, in your DNS resolvers, the DNS names listed below from the time "
            "stated, as ordered by %(block)s."
        ) % {"block": order.lifts.reference if order.lifts else "—"}
    else:
        opening = _(
            "You are instructed to block, in your DNS resolvers, the DNS names listed below from the time stated, "
            "and to confirm that you have done so by the deadlines given."
        )
    notes = [_("Justification: %(text)s") % {"text": order.justification}]
    references = [notice.reference for notice in order.notices.order_by("sent_at", "id")]
    if references or order.notice_references:
        notes.append(
            _("Notices that went before: %(refs)s")
            % {"refs": ", ".join([*references, *order.notice_references.split()])}
        )
    return pdf.Letter(
        reference=order.reference,
        title=f"{order.get_kind_display().capitalize()}: {order.reference}",
        dated=order.issued_at or order.approved_at or order.created_at,
        addressee=_addressee(order, recipient),
        opening=opening,
        legal_basis=order.legal_basis,
        items_heading=_("DNS names (%(count)d)") % {"count": len(names)},
        items=names,
        deadlines=deadlines,
        notes=notes,
        signer_name=order.approved_by.display_name if order.approved_by else "",
        signer_role=_("Supervisor, approving the order") if order.approved_by else _("Not approved yet"),
        signed_at=order.approved_at,
    )


def resumption_letter(lift: BlockOrder, block: BlockOrder, recipient: OrderRecipient, names: list[str]) -> pdf.Letter:
    """The letter that goes with "block resumes": a lift for some days has ended, so `recipient`'s ISP blocks
    `names` again under `block`, now; in the lift's deadline zone, signed by whoever approved the lift."""
    in_zone = order_zone(lift, recipient)
    opening = _(
        "Lift order %(lift)s held until the time stated and has ended. Block order %(block)s is in force again "
        "for you: you are instructed to block again, in your DNS resolvers, the DNS names listed below, now."
    ) % {"lift": lift.reference, "block": block.reference}
    return pdf.Letter(
        reference=lift.reference,
        title=_("Block resumes: %(block)s") % {"block": block.reference},
        dated=lift.ends_at,
        addressee=_addressee(lift, recipient),
        opening=opening,
        legal_basis=block.legal_basis,
        items_heading=_("DNS names (%(count)d)") % {"count": len(names)},
        items=names,
        deadlines=[(_("Lift ended"), pdf.deadline_in_words(lift.ends_at, in_zone))],
        notes=[_("Justification: %(text)s") % {"text": block.justification}],
        signer_name=lift.approved_by.display_name if lift.approved_by else "",
        signer_role=_("Supervisor, approving the lift for some days") if lift.approved_by else "",
        signed_at=lift.approved_at,
    )


def resumption_letter_pdf(lift: BlockOrder, block: BlockOrder, recipient: OrderRecipient, names: list[str]) -> bytes:
    letter = resumption_letter(lift, block, recipient, names)
    return pdf.letter_pdf(letter, in_zone=order_zone(lift, recipient))


def _addressee(order: BlockOrder, recipient: OrderRecipient | None) -> list[str]:
    if recipient is not None:
        isp = recipient.isp
        return [line for line in (isp.name, isp.contact_name, isp.contact_email) if line]
    issued_to = [r.isp.name for r in order.recipients.all()]
    if issued_to:
        return issued_to
    if order.binds_all_isps:
        return [_("Every licensed ISP")]
    return [isp.name for isp in order.isps.all()]


def order_letter_html(order: BlockOrder, recipient=None, *, pdf_url: str = "", back_url: str = "") -> str:
    letter = order_letter(order, recipient)
    return pdf.render_letter_html(letter, in_zone=order_zone(order, recipient), pdf_url=pdf_url, back_url=back_url)


def order_letter_pdf(order: BlockOrder, recipient: OrderRecipient | None = None) -> bytes:
    return pdf.render_pdf(order_letter_html(order, recipient))
