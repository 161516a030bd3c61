"""A notice as a formal letter to the platform: what it says, for the letter page and its PDF."""

from __future__ import annotations

from django.utils.translation import gettext as _

from tracker.core import pdf

from .models import Notice
from .selectors import describe_rule


def notice_zone(notice: Notice):
    """The platform's deadline zone: the one the notice's deadline was computed in (its ladder's zone)."""
    return pdf.zone((notice.deadline_rule or {}).get("time_zone") or notice.step.policy.time_zone)


def notice_letter(notice: Notice) -> pdf.Letter:
    """The letter of a notice, in the active language, its deadline in the platform's deadline zone."""
    in_zone = notice_zone(notice)
    platform = notice.case.platform
    signer = notice.sent_by or notice.recorded_by
    deadlines = []
    if notice.deadline_at:
        deadlines.append((_("Reply due by"), pdf.deadline_in_words(notice.deadline_at, in_zone)))
    rule = describe_rule(notice)  # the same words the notice page uses
    if rule:
        deadlines.append((_("Time allowed"), rule))
    return pdf.Letter(
        reference=notice.reference,
        title=notice.subject,
        dated=notice.sent_at or notice.prepared_at,
        addressee=[platform.name, *notice.recipients],
        opening=_(
            "The content listed below, found on %(platform)s, is unlawful under the legal basis stated. "
            "We ask you to remove it or restrict access to it in Indonesia, and to reply by the deadline below."
        )
        % {"platform": platform.name},
        legal_basis=notice.legal_basis,
        items_heading=_("Items (%(count)d)") % {"count": len(notice.notice_items.all())},
        items=[f"{entry.display} — {entry.category}" for entry in notice.notice_items.all()],
        deadlines=deadlines,
        closing=notice.body,
        signer_name=(signer.display_name if signer else notice.sent_by_label),
        signer_role=_("Liaison officer"),
        signed_at=notice.sent_at,
    )


def notice_letter_html(notice: Notice, *, pdf_url: str = "", back_url: str = "") -> str:
    letter = notice_letter(notice)
    return pdf.render_letter_html(letter, in_zone=notice_zone(notice), pdf_url=pdf_url, back_url=back_url)


def notice_letter_pdf(notice: Notice) -> bytes:
    return pdf.render_pdf(notice_letter_html(notice))
