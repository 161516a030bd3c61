"""Email that reaches the notices mailbox: kept whole, read, matched to its notice, or put in triage.

1. `ingest_message` stores the raw bytes in the evidence store first (nothing is lost, whatever follows),
   then reads them with `inbound_mail.parse_message` and records one `InboundMail`, once per SHA-256.
2. A message is matched to a notice by its In-Reply-To, then its References (newest first), against the
   Message-IDs the tracker sent; a report (bounce, delivery report, read receipt) also by the notice it
   returns; then by a `TKD/<year>/<6 digits>` reference in the subject.
3. A person's reply to a notice awaiting one is attached for a liaison officer to record; it never changes
   the notice by itself. Auto-replies and read receipts are attached but never count as an answer. Bounces
   and delivery reports become `DeliveryReport` rows; a failure marks the delivery bounced for a person
   to check. Anything else — unmatched, for a closed notice, too large, unreadable — waits in triage.

The IMAP poller, the `ingest_mail` command, the upload page and the API all call these functions.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.core import audit
from tracker.core.actors import INBOUND_MAIL
from tracker.core.errors import DomainError, TransitionNotAllowed, require_permission
from tracker.core.models import AuditEntry
from tracker.core.states import change_state
from tracker.evidence.services import store_bytes

from . import inbound_mail
from .delivery import reference_from_message_id
from .inbound_mail import InboundMessage, MessageTooLarge
from .models import Delivery, DeliveryReport, InboundMail, Notice, Notification
from .notifications import notify

REFERENCE = re.compile(r"TKD/\d{4}/\d{6}")
RAW_TYPE = "message/rfc822"
State = InboundMail.State
Kind = InboundMail.Kind
MatchedBy = InboundMail.MatchedBy

# A person writing back: attached for a liaison officer to record. An abuse complaint (ARF) is a mail
# system's report about our notice, not the platform answering it: kept with the notice, like an auto-reply.
PERSON_KINDS = (Kind.MESSAGE,)
REPORT_KINDS = (Kind.BOUNCE, Kind.DELIVERY_REPORT)
# Fields the audit entry of a new inbound mail keeps (not the text: it is in the stored message).
AUDITED_FIELDS = [
    "sha256", "size", "source", "mailbox", "imap_uid", "kind", "message_id", "subject", "from_address",
    "notice", "matched_by", "state", "triage_reason",
]  # fmt: skip


def max_bytes() -> int:
    return settings.NOTICES_INBOUND_MAX_BYTES


@dataclass
class _Match:
    notice: Notice | None = None
    matched_by: str = MatchedBy.NONE
    deliveries: tuple[Delivery, ...] = ()  # the deliveries a report names by their Message-ID


# --- ingesting ----------------------------------------------------------------------------------------


def ingest_message(
    raw: bytes,
    *,
    source: str,
    mailbox: str = "",
    imap_uid: int | None = None,
    actor,
    now: datetime | None = None,
    size: int | None = None,
) -> InboundMail:
    """Keep one raw RFC 822 message and do what its kind asks (see the module docstring).

    Idempotent: the same bytes again, or the same IMAP mailbox and UID again, return the existing row
    with `duplicate` set on it. `size` is the message's real size when `raw` holds only its headers (the
    IMAP poller does not download a message over the limit). An upload needs `notices.triage_inboundmail`.
    """
    if source == InboundMail.Source.UPLOAD:
        require_permission(actor, "notices.triage_inboundmail")
    if source not in InboundMail.Source.values:
        raise DomainError(_("Unknown source %(source)r.") % {"source": source}, fields={"source": [source]})
    raw = bytes(raw or b"")
    if not raw:
        raise DomainError(_("The message is empty."), fields={"file": [_("The message is empty.")]})
    now = now or timezone.now()
    sha256 = hashlib.sha256(raw).hexdigest()
    existing = _existing(sha256, mailbox, imap_uid)
    if existing is not None:
        return existing

    stored = store_bytes(raw, content_type=RAW_TYPE)  # on disk, with its row, before anything refers to it
    message, unreadable_reason = _read(raw, real_size=size)
    inbound = InboundMail(
        raw_file=stored,
        sha256=sha256,
        size=size or len(raw),
        source=source,
        mailbox=mailbox[:200],
        imap_uid=imap_uid,
        received_at=now,
        uploaded_by=actor if source == InboundMail.Source.UPLOAD else None,
        state=State.TRIAGE,  # until decided below, in the same transaction
    )
    _fill_from_message(inbound, message)
    try:
        with transaction.atomic():
            match = _match(message) if message is not None else _Match()
            if unreadable_reason:
                inbound.kind, inbound.why = Kind.UNREADABLE, unreadable_reason[:300]
                _triage(inbound, unreadable_reason, notice=match.notice, matched_by=match.matched_by)
            inbound.save()
            reports = _decide(inbound, message, match, now=now) if not unreadable_reason else []
            audit.record(
                obj=inbound,
                action=AuditEntry.Action.CREATE,
                actor=actor,
                changes=audit.diff({}, audit.snapshot(inbound, fields=AUDITED_FIELDS)),
                reason=_describe(inbound),
            )
            for report in reports:
                audit.record_creation(report, actor=actor)
            _notify_about(inbound, now=now)
    except IntegrityError:
        # Another poller or upload stored the same message at the same moment: theirs stands.
        existing = _existing(sha256, mailbox, imap_uid)
        if existing is None:
            raise
        return existing
    inbound.duplicate = False
    return inbound


def _existing(sha256: str, mailbox: str, imap_uid: int | None) -> InboundMail | None:
    found = InboundMail.objects.filter(sha256=sha256).first()
    if found is None and imap_uid is not None:
        found = InboundMail.objects.filter(mailbox=mailbox[:200], imap_uid=imap_uid).first()
    if found is not None:
        found.duplicate = True
    return found


def _read(raw: bytes, *, real_size: int | None) -> tuple[InboundMessage | None, str]:
    """(the parsed message, "") or (what could be read, why it is unreadable)."""
    limit = max_bytes()
    if real_size is not None and real_size > limit:
        reason = _too_large(real_size, limit) + " " + _("Only its headers were fetched; it stays in the mailbox.")
        return _parse_quietly(raw, limit), reason
    try:
        return inbound_mail.parse_message(raw, max_bytes=limit), ""
    except MessageTooLarge as exc:
        # Read the headers only, to match it; the whole message is kept, unread.
        window = raw[: min(limit, 1024 * 1024)]
        end = window.find(b"\r\n\r\n")
        end = window.find(b"\n\n") if end < 0 else end
        head = window[:end] if end >= 0 else window[: 64 * 1024]
        return _parse_quietly(head, limit), _too_large(exc.size, exc.max_bytes)
    except Exception as exc:  # hostile input must never lose the message it came in
        return None, _("The message could not be read: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"[:200]}


def _parse_quietly(raw: bytes, limit: int) -> InboundMessage | None:
    try:
        return inbound_mail.parse_message(raw, max_bytes=limit)
    except Exception:  # only the headers were wanted; the message is kept whole regardless
        return None


def _too_large(size: int, limit: int) -> str:
    return _("The message is %(size)s, more than the limit of %(limit)s.") % {
        "size": filesizeformat(size),
        "limit": filesizeformat(limit),
    }


def _fill_from_message(inbound: InboundMail, message: InboundMessage | None) -> None:
    if message is None:
        inbound.kind, inbound.defects = Kind.UNREADABLE, []
        return
    inbound.kind = message.kind.value
    inbound.why = message.why[:300]
    inbound.message_id = message.message_id[:300]
    date = message.date
    if date is not None and timezone.is_naive(date):
        date = date.replace(tzinfo=UTC)
    inbound.date = date
    inbound.subject = message.subject[:500]
    inbound.from_address = message.from_address[:320]
    inbound.from_name = message.from_name[:200]
    inbound.text = message.text
    inbound.defects = message.defects[:100]


# --- matching -------------------------------------------------------------------------------------------


def _match(message: InboundMessage) -> _Match:
    """The notice a message is about, and how that was found (first rule that finds one wins)."""
    for ids, how in (
        (message.in_reply_to, MatchedBy.IN_REPLY_TO),
        (list(reversed(message.references)), MatchedBy.REFERENCES),
    ):
        match = _by_message_ids(ids, how)
        if match.notice is not None:
            return match
    if message.kind in (inbound_mail.Kind.BOUNCE, inbound_mail.Kind.DELIVERY_REPORT, inbound_mail.Kind.READ_RECEIPT):
        threading = {*message.in_reply_to, *message.references}
        returned = [mid for mid in message.referenced_message_ids if mid not in threading]
        match = _by_message_ids(returned, MatchedBy.REPORTED_MESSAGE)
        if match.notice is not None:
            return match
    notice = _by_reference(REFERENCE.findall(message.subject))
    if notice is not None:
        return _Match(notice, MatchedBy.SUBJECT)
    if message.kind != inbound_mail.Kind.MESSAGE:
        notice = _by_reference(REFERENCE.findall(message.original_subject))
        if notice is not None:
            return _Match(notice, MatchedBy.REPORTED_MESSAGE)
    return _Match()


def _by_message_ids(ids: list[str], how: str) -> _Match:
    for message_id in ids:
        deliveries = tuple(Delivery.objects.filter(message_id=f"<{message_id}>").select_related("notice"))
        if deliveries:
            return _Match(deliveries[0].notice, how, deliveries)
        # A Message-ID the tracker made, from another host name or an older domain setting.
        notice = _by_reference([reference_from_message_id(message_id) or ""])
        if notice is not None:
            return _Match(notice, how)
    return _Match()


def _by_reference(references: list[str]) -> Notice | None:
    for reference in references:
        notice = Notice.objects.filter(reference=reference).first() if reference else None
        if notice is not None:
            return notice
    return None


# --- what each kind asks --------------------------------------------------------------------------------


def _decide(inbound: InboundMail, message: InboundMessage, match: _Match, *, now) -> list[DeliveryReport]:
    """Attach or triage a readable message; reports become delivery reports. Returns those created."""
    notice = match.notice
    if inbound.kind in REPORT_KINDS:
        return _delivery_reports(inbound, message, match, now=now)
    if notice is None:
        _triage(inbound, _("No notice reference found."))
    elif inbound.kind in PERSON_KINDS and not notice.is_awaiting_reply:
        _triage(inbound, _closed_reason(notice), notice=notice, matched_by=match.matched_by)
    else:
        # Auto-replies, receipts and complaints are attached whatever the notice's state: nobody answers them.
        _attach(inbound, notice, match.matched_by)
        return []
    inbound.save(update_fields=["notice", "matched_by", "triage_reason"])
    return []


def _attach(inbound: InboundMail, notice: Notice, matched_by: str) -> None:
    """A message just stored (in triage) is attached to the notice it was matched to."""
    reason = _("matched to %(reference)s by %(how)s") % {
        "reference": notice.reference,
        "how": InboundMail.MatchedBy(matched_by).label,
    }
    also = {"notice": notice, "matched_by": matched_by}
    change_state(inbound, to=State.ATTACHED, actor=INBOUND_MAIL, reason=reason, also=also, locked=True)


def _triage(inbound: InboundMail, reason: str, *, notice: Notice | None = None, matched_by: str = "") -> None:
    """A message just stored stays in triage (its state since it was made), with the reason why."""
    inbound.triage_reason = reason[:500]
    inbound.notice, inbound.matched_by = notice, matched_by


def _closed_reason(notice: Notice) -> str:
    follow_up = Notice.objects.filter(previous=notice).values_list("reference", flat=True).first()
    if notice.status == Notice.Status.LAPSED:
        # A person decides: an answer to the lapsed notice is recorded from it as a late reply.
        return _("Notice %(reference)s: %(status)s%(followed)s. A reply from this email is recorded as late.") % {
            "reference": notice.reference,
            "status": notice.get_status_display(),
            "followed": _("; %(next)s followed it") % {"next": follow_up} if follow_up else "",
        }
    if follow_up:
        return _("Notice %(reference)s is closed (%(status)s); %(next)s followed it.") % {
            "reference": notice.reference,
            "status": notice.get_status_display(),
            "next": follow_up,
        }
    return _("Notice %(reference)s is closed (%(status)s).") % {
        "reference": notice.reference,
        "status": notice.get_status_display(),
    }


def _delivery_reports(inbound: InboundMail, message: InboundMessage, match: _Match, *, now) -> list[DeliveryReport]:
    """One report per delivery a bounce or delivery report names; a failure marks the delivery bounced."""
    notice = match.notice
    candidates = list(match.deliveries)
    if notice is not None:
        candidates += [d for d in notice.deliveries.all() if d.pk not in {c.pk for c in candidates}]
    reports: dict[int, DeliveryReport] = {}
    unmatched = []
    for status in message.delivery_statuses:
        delivery = _delivery_for(status.recipient, candidates, named=match.deliveries)
        if delivery is None:
            unmatched.append(status.recipient or "?")
            continue
        if delivery.pk in reports:
            continue
        reports[delivery.pk] = DeliveryReport.objects.create(
            delivery=delivery,
            inbound_mail=inbound,
            action=(status.action or ("failed" if status.status[:1] in ("4", "5") else ""))[:16],
            status=status.status[:16],
            diagnostic=status.diagnostic,
            reported_at=message.date or now,
        )
    if notice is None:
        _triage(inbound, _("No notice reference found."))
    elif not reports:
        recipients = ", ".join(unmatched) or _("no recipient named")
        _triage(
            inbound,
            _("A report about %(reference)s that names none of its deliveries (%(recipients)s).")
            % {"reference": notice.reference, "recipients": recipients},
            notice=notice,
            matched_by=match.matched_by,
        )
    else:
        _attach(inbound, notice, match.matched_by)
    if inbound.state == State.TRIAGE:
        inbound.save(update_fields=["notice", "matched_by", "triage_reason"])
    for report in reports.values():
        if report.action == "failed":
            _mark_bounced(report)
    return list(reports.values())


def _delivery_for(recipient: str, candidates: list[Delivery], *, named) -> Delivery | None:
    recipient = recipient.strip().lower()
    if recipient:
        return next((d for d in candidates if d.recipient.lower() == recipient), None)
    # A plain-text bounce that does not say whom: only certain when one delivery is in question.
    pool = list(named) or candidates
    return pool[0] if len(pool) == 1 else None


def _mark_bounced(report: DeliveryReport) -> None:
    delivery = Delivery.objects.select_for_update().get(pk=report.delivery_id)
    if delivery.state in (Delivery.State.QUEUED, Delivery.State.SENDING, Delivery.State.BOUNCED):
        # Still being sent (its state is the worker's), or bounced already: a person must look, that is all.
        Delivery.objects.filter(pk=delivery.pk).update(needs_check=True)
        return
    reason = f"{report.status} {report.diagnostic}".strip()[:500]
    also = {"needs_check": True}
    change_state(delivery, to=Delivery.State.BOUNCED, actor=INBOUND_MAIL, reason=reason, also=also, locked=True)


def _notify_about(inbound: InboundMail, *, now) -> None:
    notice = inbound.notice
    if notice is None:
        return
    case = notice.case
    link = reverse("notices-mail-detail", args=[inbound.pk])
    values = {"reference": notice.reference, "sender": inbound.from_address or _("unknown sender")}
    if inbound.state == State.ATTACHED and inbound.kind in PERSON_KINDS:
        notify(
            case.owner,
            kind=Notification.Kind.REPLY_RECEIVED,
            case=case,
            notice=notice,
            title=_("Email about %(reference)s from %(sender)s") % values,
            body=_("An email arrived for %(reference)s: read it and record the platform's reply.") % values,
            link=link,
            now=now,
        )
    elif inbound.state == State.TRIAGE and inbound.kind in PERSON_KINDS:
        notify(
            case.owner,
            kind=Notification.Kind.MAIL_TRIAGE,
            case=case,
            notice=notice,
            title=_("Email about %(reference)s waits for triage") % values,
            body=inbound.triage_reason,
            link=link,
            now=now,
        )
    failed = [r for r in inbound.delivery_reports.select_related("delivery") if r.action == "failed"]
    if failed:
        notify(
            case.owner,
            kind=Notification.Kind.DELIVERY_PROBLEM,
            case=case,
            notice=notice,
            title=_("%(reference)s bounced: %(recipients)s")
            % {"reference": notice.reference, "recipients": ", ".join(r.delivery.recipient for r in failed)},
            body="\n".join(f"{r.delivery.recipient}: {r.status} {r.diagnostic}".strip() for r in failed),
            link=link,
            now=now,
        )


def _describe(inbound: InboundMail) -> str:
    if inbound.state == State.TRIAGE:
        return _("to triage: %(reason)s") % {"reason": inbound.triage_reason}
    return _("%(kind)s attached to %(reference)s") % {
        "kind": inbound.get_kind_display(),
        "reference": inbound.notice.reference if inbound.notice else "-",
    }


def outcome_of(inbound: InboundMail) -> str:
    """One line saying what became of a message, for the command, the upload page and the API."""
    if getattr(inbound, "duplicate", False):
        return _("duplicate of inbound email %(id)s (%(state)s)") % {"id": inbound.pk, "state": inbound.state}
    if inbound.state == State.TRIAGE:
        return _("triage: %(reason)s") % {"reason": inbound.triage_reason}
    return _("%(kind)s attached to %(reference)s (matched by %(how)s)") % {
        "kind": inbound.get_kind_display(),
        "reference": inbound.notice.reference if inbound.notice else "-",
        "how": inbound.get_matched_by_display(),
    }


# --- uploads --------------------------------------------------------------------------------------------

HEADER_LINE = re.compile(rb"^(From |[!-9;-~]{1,76}:)")
SNIFF_BYTES = 8192  # enough of a file to tell whether it begins like an email


def check_upload(name: str, data: bytes | None, *, size: int | None = None) -> None:
    """Refuse a file a person uploads that is not one email: they still hold it, and can act on the reason.

    `data` None checks the size alone, before the file is read. (From a mailbox nothing is refused:
    whatever arrives is kept.)
    """
    size = len(data or b"") if size is None else size
    if size == 0:
        message = _("%(name)s is empty.") % {"name": name}
    elif size > max_bytes():
        message = _("%(name)s: %(problem)s") % {"name": name, "problem": _too_large(size, max_bytes())}
    elif data is not None and not looks_like_mail(data):
        message = _("%(name)s is not an email (RFC 822 / .eml): it does not begin with mail headers.") % {"name": name}
    else:
        return
    raise DomainError(message, fields={"files": [message]})


def looks_like_mail(data: bytes) -> bool:
    head = data[:SNIFF_BYTES].lstrip(b"\xef\xbb\xbf\r\n")
    if b"\x00" in head:
        return False
    return HEADER_LINE.match(head) is not None


# --- triage ---------------------------------------------------------------------------------------------


def notice_by_reference(reference: str) -> Notice:
    """The notice a person names in triage; a clear error when there is none."""
    reference = (reference or "").strip().upper()
    notice = Notice.objects.filter(reference=reference).first() if REFERENCE.fullmatch(reference) else None
    if notice is None:
        message = (
            _("No notice %(reference)s.") % {"reference": reference}
            if REFERENCE.fullmatch(reference)
            else _("Give a notice reference like TKD/2017/000123.")
        )
        raise DomainError(message, fields={"reference": [message]})
    return notice


def match_inbound_mail(*, inbound: InboundMail, notice: Notice, actor, note: str = "", now=None) -> InboundMail:
    """A person attaches an email waiting in triage to a notice."""
    require_permission(actor, "notices.triage_inboundmail")
    now = now or timezone.now()
    with transaction.atomic():
        inbound = InboundMail.objects.select_for_update().get(pk=inbound.pk)
        if inbound.state != State.TRIAGE:
            raise TransitionNotAllowed(
                _("This email is %(state)s, not waiting for triage.") % {"state": inbound.get_state_display()}
            )
        notice = Notice.objects.select_related("case__owner").get(pk=notice.pk)
        handled = {
            "notice": notice,
            "matched_by": MatchedBy.PERSON,
            "handled_by": actor,
            "handled_at": now,
            "handling_note": (note or "").strip(),
        }
        reason = _("attached to %(reference)s by hand. %(note)s") % {
            "reference": notice.reference,
            "note": handled["handling_note"],
        }
        change_state(inbound, to=State.ATTACHED, actor=actor, reason=reason, also=handled, locked=True)
        if inbound.kind in PERSON_KINDS and notice.case.owner_id != actor.pk:
            _notify_about(inbound, now=now)
    return inbound


def dismiss_inbound_mail(*, inbound: InboundMail, actor, note: str, now=None) -> InboundMail:
    """Set aside an email that needs nothing done (spam, a thank-you): kept, with the reason why."""
    require_permission(actor, "notices.triage_inboundmail")
    note = (note or "").strip()
    if not note:
        message = _("Say why the email is dismissed.")
        raise DomainError(message, fields={"note": [message]})
    now = now or timezone.now()
    with transaction.atomic():
        inbound = InboundMail.objects.select_for_update().get(pk=inbound.pk)
        if inbound.state not in (State.TRIAGE, State.ATTACHED):
            raise TransitionNotAllowed(
                _("This email is %(state)s: it cannot be dismissed.") % {"state": inbound.get_state_display()}
            )
        handled = {"handled_by": actor, "handled_at": now, "handling_note": note}
        change_state(inbound, to=State.DISMISSED, actor=actor, reason=note[:500], also=handled, locked=True)
    return inbound
