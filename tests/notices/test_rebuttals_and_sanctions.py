"""Rebuttals (a platform objects to an item; a supervisor upholds or withdraws it), sanctions carried by ladder
steps, and replies recorded with their attachments. Time is frozen where deadlines matter."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from notices import ladder, lapses, rebuttals, replies, sanctions, sending
from notices.models import Notice, Notification, Rebuttal, Sanction
from tests.factories_notices import case_with_items
from tracker.core.errors import DomainError, NotPermitted, TransitionNotAllowed
from tracker.core.models import AuditEntry
from tracker.items.models import FlaggedItem

pytestmark = pytest.mark.django_db

START = datetime.fromisoformat("2017-03-29T09:00:00+07:00")
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def sent_notice(liaison_officer, count=2):
    case, items = case_with_items(count=count, urgency="normal")
    with time_machine.travel(START, tick=False):
        notice = sending.send_notice(case=case, actor=liaison_officer)
    return notice, items


def removed(notice, item, liaison_officer, **extra):
    """The platform's answer that it removed `item`, an hour after the notice."""
    return replies.record_platform_reply(
        notice=notice,
        actor=liaison_officer,
        received_at=START + timedelta(hours=1),
        channel=extra.pop("channel", "email"),
        summary="Removed.",
        outcomes={item.pk: "removed"},
        **extra,
    )


def rebut(notice, item, liaison_officer, **extra):
    entry = notice.notice_items.get(item=item)
    with time_machine.travel(START + timedelta(hours=3), tick=False):
        return rebuttals.record_rebuttal(
            notice_item=entry,
            actor=liaison_officer,
            received_at=START + timedelta(hours=2),
            reasons="The channel is satire, not incitement.",
            **extra,
        )


def test_a_rebuttal_is_recorded_with_its_attachment_and_supervisors_are_asked(liaison_officer, supervisor):
    notice, items = sent_notice(liaison_officer)
    letter = SimpleUploadedFile("objection.pdf", PDF, content_type="application/pdf")
    rebuttal = rebut(notice, items[0], liaison_officer, attachments=[letter])
    assert rebuttal.decision == Rebuttal.Decision.PENDING
    assert [a.original_name for a in rebuttal.attachments.all()] == ["objection.pdf"]
    assert rebuttal.attachments.get().file.content_type == "application/pdf"
    asked = Notification.objects.get(kind=Notification.Kind.REBUTTAL)
    assert asked.user == supervisor and asked.notice == notice


def test_a_second_pending_rebuttal_for_the_same_item_is_refused(liaison_officer):
    notice, items = sent_notice(liaison_officer)
    rebut(notice, items[0], liaison_officer)
    with pytest.raises(TransitionNotAllowed, match="already has a rebuttal"):
        rebut(notice, items[0], liaison_officer)
    assert Rebuttal.objects.count() == 1


def test_a_withdrawn_item_leaves_the_ladder_and_the_last_open_one_closes_the_notice(liaison_officer, supervisor):
    notice, items = sent_notice(liaison_officer, count=2)
    removed(notice, items[0], liaison_officer)
    rebuttal = rebut(notice, items[1], liaison_officer)
    rebuttals.decide_rebuttal(rebuttal=rebuttal, actor=supervisor, decision="withdrawn", reason="Satire; not unlawful.")
    items[1].refresh_from_db()
    notice.refresh_from_db()
    assert items[1].status == FlaggedItem.Status.CLOSED
    assert notice.status == Notice.Status.ANSWERED and notice.next_action_at is None
    assert AuditEntry.objects.filter(content_type__model="rebuttal", to_state="withdrawn").exists()


def test_an_upheld_item_stays_on_the_ladder(liaison_officer, supervisor):
    notice, items = sent_notice(liaison_officer, count=1)
    rebuttal = rebut(notice, items[0], liaison_officer)
    rebuttals.decide_rebuttal(rebuttal=rebuttal, actor=supervisor, decision="upheld", reason="Incitement is clear.")
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT and notice.next_action_at is not None
    with time_machine.travel(notice.deadline_at, tick=False):
        assert lapses.advance_notice(notice_id=notice.pk) == "sent"  # the next step still covers the item


def test_only_a_supervisor_decides_and_only_once(liaison_officer, supervisor):
    notice, items = sent_notice(liaison_officer, count=1)
    rebuttal = rebut(notice, items[0], liaison_officer)
    with pytest.raises(NotPermitted):
        rebuttals.decide_rebuttal(rebuttal=rebuttal, actor=liaison_officer, decision="withdrawn", reason="no")
    with pytest.raises(DomainError, match="reasons"):
        rebuttals.decide_rebuttal(rebuttal=rebuttal, actor=supervisor, decision="upheld", reason=" ")
    rebuttals.decide_rebuttal(rebuttal=rebuttal, actor=supervisor, decision="upheld", reason="Clear incitement.")
    with pytest.raises(TransitionNotAllowed, match="already decided"):
        rebuttals.decide_rebuttal(rebuttal=rebuttal, actor=supervisor, decision="withdrawn", reason="Changed mind.")
    rebuttal.refresh_from_db()
    assert rebuttal.decision == "upheld"


def test_a_resolved_item_cannot_be_rebutted(liaison_officer):
    notice, items = sent_notice(liaison_officer, count=2)
    removed(notice, items[0], liaison_officer)
    with pytest.raises(TransitionNotAllowed, match="nothing to object to"):
        rebut(notice, items[0], liaison_officer)


def test_a_step_with_a_sanction_imposes_it_once_and_a_supervisor_tracks_it(liaison_officer, supervisor):
    case, _items = case_with_items(count=1, urgency="normal")
    step = ladder.next_step_for(case)
    step.sanction_amount = Decimal("500000000")
    step.save()
    with time_machine.travel(START, tick=False):
        notice = sending.send_notice(case=case, actor=liaison_officer)
    sanction = Sanction.objects.get(case=case)
    assert (sanction.amount, sanction.currency, sanction.state, sanction.notice) == (
        Decimal("500000000.00"),
        "IDR",
        "imposed",
        notice,
    )
    with pytest.raises(NotPermitted):
        sanctions.change_sanction_state(sanction=sanction, actor=liaison_officer, to_state="paid")
    sanctions.change_sanction_state(sanction=sanction, actor=supervisor, to_state="committed", note="Letter of 2 April")
    sanctions.change_sanction_state(sanction=sanction, actor=supervisor, to_state="paid", payment_reference="SSBP-1")
    with pytest.raises(TransitionNotAllowed, match="cannot become"):
        sanctions.change_sanction_state(sanction=sanction, actor=supervisor, to_state="waived", note="too late")
    sanction.refresh_from_db()
    assert (sanction.state, sanction.payment_reference) == ("paid", "SSBP-1")
    assert sanction.committed_at is not None and sanction.paid_at is not None and sanction.waived_at is None
    assert list(
        AuditEntry.objects.filter(content_type__model="sanction", action="transition")
        .order_by("id")
        .values_list("to_state", flat=True)
    ) == ["committed", "paid"]


def test_waiving_a_sanction_needs_reasons(supervisor, liaison_officer):
    case, _items = case_with_items(count=1, urgency="normal")
    step = ladder.next_step_for(case)
    step.sanction_amount = Decimal("1000")
    step.save()
    notice = sending.send_notice(case=case, actor=liaison_officer)
    with pytest.raises(DomainError, match="reasons"):
        sanctions.change_sanction_state(sanction=notice.sanction, actor=supervisor, to_state="waived")
    assert Sanction.objects.get().state == "imposed"


def test_a_reply_keeps_its_attachments_and_refuses_a_forbidden_file_whole(liaison_officer):
    notice, items = sent_notice(liaison_officer, count=1)
    with pytest.raises(DomainError, match="cannot be attached"):
        removed(
            notice,
            items[0],
            liaison_officer,
            channel="letter",
            attachments=[SimpleUploadedFile("run.exe", b"MZ\x90\x00" + b"\x00" * 200)],
        )
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT and not notice.replies.exists()
    reply = removed(
        notice, items[0], liaison_officer, channel="letter", attachments=[SimpleUploadedFile("answer.pdf", PDF)]
    )
    assert [a.original_name for a in reply.attachments.all()] == ["answer.pdf"]


def inbound(notice, kind):
    from notices.models import InboundMail
    from tracker.evidence.services import store_evidence_file

    raw = f"From: abuse@platform.example\nSubject: Re: [{notice.reference}]\n\nDone ({kind}).\n".encode()
    stored = store_evidence_file(SimpleUploadedFile("mail.txt", raw))
    return InboundMail.objects.create(
        raw_file=stored,
        sha256=stored.sha256,
        size=stored.size,
        source="upload",
        kind=kind,
        subject=f"Re: [{notice.reference}]",
        notice=notice,
        state="attached",
    )


def test_a_reply_recorded_from_an_email_marks_it_recorded_and_an_auto_reply_is_no_answer(liaison_officer):
    notice, items = sent_notice(liaison_officer, count=1)
    auto = inbound(notice, "auto-reply")
    answer = dict(
        notice=notice,
        actor=liaison_officer,
        received_at=START + timedelta(hours=1),
        channel="email",
        summary="Removed.",
        outcomes={items[0].pk: "removed"},
    )
    with pytest.raises(DomainError, match="not an answer"):
        replies.record_platform_reply(**answer, inbound_mail=auto)
    mail = inbound(notice, "message")
    reply = replies.record_platform_reply(**answer, inbound_mail=mail)
    mail.refresh_from_db()
    auto.refresh_from_db()
    assert (mail.state, mail.handled_by, reply.inbound_mail) == ("recorded", liaison_officer, mail)
    assert auto.state == "attached"
