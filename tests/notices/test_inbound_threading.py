"""Inbound email is kept whole and threaded to its notice: replies by In-Reply-To, References or the
reference in the subject; auto-replies attached but never an answer; bounces marking the delivery; the rest,
and anything for a closed notice, too large or unreadable, in the triage queue."""

from pathlib import Path

import pytest

from notices import inbound
from notices.models import Delivery, DeliveryReport, InboundMail, Notice, Notification
from tests.factories_inbound import auto_reply_to, delivery_status, reply, reply_to, sent_notice
from tests.services import require
from tracker.core.actors import INBOUND_MAIL
from tracker.core.errors import DomainError, NotPermitted, TransitionNotAllowed
from tracker.core.models import AuditEntry
from tracker.evidence.services import open_stored

pytestmark = pytest.mark.django_db

EML = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "eml"
COMMAND = InboundMail.Source.COMMAND
State, Kind, MatchedBy = InboundMail.State, InboundMail.Kind, InboundMail.MatchedBy


def ingest(raw: bytes, **options) -> InboundMail:
    options.setdefault("actor", INBOUND_MAIL)
    return inbound.ingest_message(raw, source=options.pop("source", COMMAND), **options)


def test_reply_threaded_by_in_reply_to_is_attached_and_the_owner_told():
    notice = sent_notice()
    mail = ingest(reply_to(notice.deliveries.get()))

    assert (mail.state, mail.notice, mail.matched_by) == (State.ATTACHED, notice, MatchedBy.IN_REPLY_TO)
    assert mail.kind == Kind.MESSAGE and mail.counts_as_answer
    assert mail.from_address == "legal@platform.example" and "removed the channels" in mail.text
    told = Notification.objects.get(kind=Notification.Kind.REPLY_RECEIVED)
    assert told.user == notice.case.owner and told.notice == notice and notice.reference in told.title
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT  # a liaison officer records the outcome, not the mailbox


def test_the_raw_message_is_kept_byte_for_byte_in_the_evidence_store():
    notice = sent_notice()
    raw = reply_to(notice.deliveries.get())
    mail = ingest(raw)

    with open_stored(mail.raw_file) as stored:
        assert stored.read() == raw
    assert mail.raw_file.content_type == "message/rfc822" and mail.size == len(raw)
    assert AuditEntry.objects.filter(object_id=str(mail.pk), action=AuditEntry.Action.CREATE).count() == 1


def test_reply_threaded_by_references_takes_the_newest_notice_it_names():
    first, second = sent_notice(), sent_notice()
    raw = reply(
        References=f"{first.deliveries.get().message_id} {second.deliveries.get().message_id}",
        Subject="Re: our channels",
    )
    mail = ingest(raw)

    assert (mail.notice, mail.matched_by) == (second, MatchedBy.REFERENCES)


def test_a_message_id_from_an_older_domain_still_names_its_notice():
    notice = sent_notice()
    tracker_id = f"<{notice.reference.replace('/', '.')}.1@old-ministry.example>"
    mail = ingest(reply(In_Reply_To=tracker_id))

    assert (mail.notice, mail.matched_by, mail.state) == (notice, MatchedBy.IN_REPLY_TO, State.ATTACHED)


def test_reply_without_threading_headers_is_matched_by_the_reference_in_its_subject():
    notice = sent_notice()
    mail = ingest(reply(Subject=f"Fwd: {notice.reference} removal done"))

    assert (mail.notice, mail.matched_by, mail.state) == (notice, MatchedBy.SUBJECT, State.ATTACHED)


def test_unmatched_message_waits_in_triage():
    sent_notice()
    mail = ingest(reply(Subject="Hello", In_Reply_To="<somebody-else@example.org>"))

    assert (mail.state, mail.notice) == (State.TRIAGE, None)
    assert mail.triage_reason == "No notice reference found."
    assert not Notification.objects.exists()


def test_the_same_message_twice_is_one_row():
    notice = sent_notice()
    raw = reply_to(notice.deliveries.get())
    first = ingest(raw)
    again = ingest(raw, source=InboundMail.Source.IMAP, mailbox="INBOX;UIDVALIDITY=1", imap_uid=7)

    assert again.pk == first.pk and again.duplicate and not first.duplicate
    assert InboundMail.objects.count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.REPLY_RECEIVED).count() == 1


def test_the_same_imap_uid_again_is_the_same_row():
    notice = sent_notice()
    mailbox = "notices@imap.example/INBOX;UIDVALIDITY=9"
    first = ingest(reply_to(notice.deliveries.get()), source=InboundMail.Source.IMAP, mailbox=mailbox, imap_uid=3)
    refetched = ingest(
        reply_to(notice.deliveries.get(), Message_ID="<other@platform.example>"),
        source=InboundMail.Source.IMAP,
        mailbox=mailbox,
        imap_uid=3,
    )

    assert refetched.pk == first.pk and refetched.duplicate


def test_auto_reply_is_attached_but_never_an_answer():
    notice = sent_notice()
    mail = ingest(auto_reply_to(notice.deliveries.get()))

    assert (mail.kind, mail.state, mail.notice) == (Kind.AUTO_REPLY, State.ATTACHED, notice)
    assert not mail.counts_as_answer
    assert not Notification.objects.filter(kind=Notification.Kind.REPLY_RECEIVED).exists()
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT and notice.next_action_at is not None  # the clock runs on


def test_reply_to_a_lapsed_notice_goes_to_triage_naming_its_follow_up():
    lapsed = sent_notice()
    follow_up = sent_notice()
    Notice.objects.filter(pk=lapsed.pk).update(status=Notice.Status.LAPSED)
    Notice.objects.filter(pk=follow_up.pk).update(previous=lapsed)
    mail = ingest(reply_to(lapsed.deliveries.get()))

    assert (mail.state, mail.notice) == (State.TRIAGE, lapsed)
    assert lapsed.reference in mail.triage_reason and follow_up.reference in mail.triage_reason
    assert "deadline passed unanswered" in mail.triage_reason
    assert Notification.objects.get().kind == Notification.Kind.MAIL_TRIAGE


def test_reply_to_an_answered_notice_goes_to_triage_naming_its_status():
    notice = sent_notice()
    Notice.objects.filter(pk=notice.pk).update(status=Notice.Status.ANSWERED)
    mail = ingest(reply_to(notice.deliveries.get()))

    assert mail.state == State.TRIAGE and f"{notice.reference} is closed (answered)" in mail.triage_reason


def test_bounce_marks_the_delivery_bounced_for_a_person_to_check():
    notice = sent_notice(contacts=2)
    bounced, other = notice.deliveries.order_by("id")
    mail = ingest(delivery_status(bounced))

    assert (mail.kind, mail.state, mail.notice) == (Kind.BOUNCE, State.ATTACHED, notice)
    assert mail.matched_by == MatchedBy.REPORTED_MESSAGE
    report = DeliveryReport.objects.get()
    assert (report.delivery, report.action, report.status) == (bounced, "failed", "5.1.1")
    bounced.refresh_from_db()
    other.refresh_from_db()
    assert (bounced.state, bounced.needs_check) == (Delivery.State.BOUNCED, True)
    assert (other.state, other.needs_check) == (Delivery.State.SENT, False)
    assert AuditEntry.objects.filter(object_id=str(bounced.pk), to_state=Delivery.State.BOUNCED).exists()
    told = Notification.objects.get(kind=Notification.Kind.DELIVERY_PROBLEM)
    assert bounced.recipient in told.title and told.user == notice.case.owner


def test_a_real_plain_text_bounce_finds_the_notice_it_quotes():
    """Gmail's bounce has no report part: the recipient and the returned Message-ID are read off its text."""
    require("shared data", EML.is_dir(), f"{EML} not found")
    notice = sent_notice()
    sent = notice.deliveries.get()
    raw = (EML / "flanker" / "bounce_gmail-invalid-address.eml").read_bytes()
    raw = raw.replace(b"awfawfawfawfawfaw@someserverhere.com", sent.recipient.encode())
    raw = raw.replace(b"<CAKsfaBUUGqVZiaMrmH3TRPfq1odQPtM7Ey5YW1SgyJJRHtAjgw@mail.gmail.com>", sent.message_id.encode())
    mail = ingest(raw)

    assert (mail.kind, mail.state, mail.notice) == (Kind.BOUNCE, State.ATTACHED, notice)
    assert mail.matched_by == MatchedBy.REPORTED_MESSAGE
    sent.refresh_from_db()
    assert sent.state == Delivery.State.BOUNCED and sent.reports.get().status == "5.1.0"


def test_successful_delivery_report_is_kept_as_proof_of_delivery():
    notice = sent_notice()
    sent = notice.deliveries.get()
    mail = ingest(delivery_status(sent, action="delivered", status="2.0.0"))

    assert (mail.kind, mail.state, mail.notice) == (Kind.DELIVERY_REPORT, State.ATTACHED, notice)
    assert DeliveryReport.objects.get().action == "delivered"
    sent.refresh_from_db()
    assert sent.state == Delivery.State.SENT and not sent.needs_check
    assert not Notification.objects.exists()


def test_bounce_naming_a_stranger_waits_in_triage():
    notice = sent_notice()
    mail = ingest(delivery_status(notice.deliveries.get(), recipient="someone@else.example"))

    assert (mail.state, mail.notice) == (State.TRIAGE, notice)
    assert "someone@else.example" in mail.triage_reason
    assert not DeliveryReport.objects.exists()


def test_huge_message_is_kept_unread_in_triage(settings):
    settings.NOTICES_INBOUND_MAX_BYTES = 2000
    notice = sent_notice()
    raw = reply_to(notice.deliveries.get(), body="x" * 5000)
    mail = ingest(raw)

    assert (mail.kind, mail.state) == (Kind.UNREADABLE, State.TRIAGE)
    assert "more than the limit" in mail.triage_reason
    assert mail.notice == notice  # its headers were read, so triage knows which notice it is about
    with open_stored(mail.raw_file) as stored:
        assert stored.read() == raw  # nothing lost


def test_headers_of_a_message_left_in_the_mailbox_are_kept_for_triage(settings):
    settings.NOTICES_INBOUND_MAX_BYTES = 2000
    notice = sent_notice()
    head = reply_to(notice.deliveries.get()).split(b"\n\n")[0]
    mail = ingest(head, source=InboundMail.Source.IMAP, mailbox="m", imap_uid=1, size=90_000_000)

    assert (mail.kind, mail.state, mail.size) == (Kind.UNREADABLE, State.TRIAGE, 90_000_000)
    assert "stays in the mailbox" in mail.triage_reason and mail.notice == notice


def test_malformed_message_is_kept_and_never_raises():
    garbage = b"\xff\xfe\x00garbage\r\nSubject: =?bogus?Q?x?=\r\nContent-Type: multipart/mixed\r\n\r\n--" * 50
    mail = ingest(garbage)

    assert mail.pk and mail.state == State.TRIAGE
    assert mail.sha256 and mail.raw_file.size == len(garbage)


def test_an_empty_message_is_refused():
    with pytest.raises(DomainError, match="empty"):
        ingest(b"")


def test_upload_needs_the_triage_permission(analyst):
    with pytest.raises(NotPermitted):
        ingest(reply(), source=InboundMail.Source.UPLOAD, actor=analyst)


def test_a_person_attaches_a_triaged_email_to_a_notice(liaison_officer):
    notice = sent_notice()
    mail = ingest(reply(Subject="about our channels"))
    attached = inbound.match_inbound_mail(inbound=mail, notice=notice, actor=liaison_officer, note="their legal team")

    assert (attached.state, attached.notice, attached.matched_by) == (State.ATTACHED, notice, MatchedBy.PERSON)
    assert (attached.handled_by, attached.handling_note) == (liaison_officer, "their legal team")
    with pytest.raises(TransitionNotAllowed):
        inbound.match_inbound_mail(inbound=mail, notice=notice, actor=liaison_officer)


def test_dismissing_needs_a_note_and_the_permission(liaison_officer, analyst):
    mail = ingest(reply(Subject="newsletter"))
    with pytest.raises(NotPermitted):
        inbound.dismiss_inbound_mail(inbound=mail, actor=analyst, note="spam")
    with pytest.raises(DomainError, match="why"):
        inbound.dismiss_inbound_mail(inbound=mail, actor=liaison_officer, note=" ")
    dismissed = inbound.dismiss_inbound_mail(inbound=mail, actor=liaison_officer, note="a newsletter")

    assert dismissed.state == State.DISMISSED
    with pytest.raises(TransitionNotAllowed):
        inbound.dismiss_inbound_mail(inbound=mail, actor=liaison_officer, note="again")


def test_every_shared_sample_ingests_without_a_crash():
    require("shared data", EML.is_dir(), f"{EML} not found")
    samples = sorted(EML.glob("*/*.eml"))
    assert samples
    expected = {}
    for line in (EML / "expected.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, kind = line.split("\t")[:2]
            expected[name] = kind
    for path in samples:
        mail = ingest(path.read_bytes())
        name = f"{path.parent.name}/{path.name}"
        assert mail.state == State.TRIAGE, name  # none of them is about a notice of this tracker
        if name in expected:
            assert mail.kind == expected[name], name
    assert InboundMail.objects.count() == len(samples)


def test_an_abuse_complaint_about_a_notice_is_kept_with_it_but_never_an_answer():
    notice = sent_notice()
    delivery = notice.deliveries.get()
    raw = (
        "From: scomp@abuse.platform.example\r\nTo: takedown@tracker.invalid\r\nSubject: Email Feedback Report\r\n"
        "Date: Tue, 11 Jul 2017 10:00:00 +0700\r\nMessage-ID: <arf-1@abuse.platform.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nA user marked this message as spam.\r\n"
        "--b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: AOL SComp\r\n"
        "Version: 1\r\n\r\n"
        f"--b\r\nContent-Type: message/rfc822\r\n\r\nMessage-ID: {delivery.message_id}\r\n"
        f"Subject: {notice.subject}\r\n\r\nThe notice.\r\n--b--\r\n"
    ).encode()
    mail = ingest(raw)

    assert (mail.kind, mail.state, mail.notice) == (Kind.COMPLAINT, State.ATTACHED, notice)
    assert not mail.counts_as_answer
    assert not Notification.objects.filter(kind=Notification.Kind.REPLY_RECEIVED).exists()
