"""Sending a notice: reference, snapshot of the items, rendered text, one delivery per recipient, sent once."""

import hashlib
from email import message_from_bytes

import pytest
import time_machine
from django.core import mail

from notices import delivery, lapses, sending
from notices.models import Delivery, EscalationStep, Notice, NoticeItem, ReferenceSequence
from notices.placeholders import UnknownPlaceholder, render
from tests.factories import PlatformContactFactory
from tests.factories_notices import case_with_items, ladder
from tracker.core.errors import DomainError, NotPermitted
from tracker.items.models import FlaggedItem

pytestmark = pytest.mark.django_db


def test_a_notice_snapshots_its_items_and_queues_one_delivery_per_recipient(
    liaison_officer, django_capture_on_commit_callbacks
):
    case, items = case_with_items(count=2, contacts=2)
    with django_capture_on_commit_callbacks() as callbacks:
        notice = sending.send_notice(case=case, actor=liaison_officer)
    assert notice.reference.startswith("TKD/") and notice.reference.endswith("/000001")
    assert notice.reference in notice.subject
    assert notice.step.position == 1 and notice.status == Notice.Status.SENT
    assert notice.sent_by == liaison_officer
    assert notice.deadline_rule["minutes"] == 240  # urgent items: four hours
    assert (notice.deadline_at - notice.sent_at).total_seconds() == 4 * 3600
    assert items[0].display in notice.body and "Law 5/2018" in notice.body
    assert list(NoticeItem.objects.filter(notice=notice).values_list("canonical", flat=True)) == [
        item.canonical for item in items
    ]
    assert set(FlaggedItem.objects.values_list("status", flat=True)) == {FlaggedItem.Status.IN_NOTICE}
    deliveries = list(Delivery.objects.filter(notice=notice))
    assert sorted(d.recipient for d in deliveries) == sorted(notice.recipients)
    assert all(d.state == Delivery.State.QUEUED for d in deliveries)
    assert deliveries[0].message_id == f"<{notice.reference.replace('/', '.')}.1@tracker.invalid>"
    assert deliveries[0].sha256 == hashlib.sha256(bytes(deliveries[0].raw_message)).hexdigest()
    # Nothing leaves before commit: after it, the delivery is queued (and the audit trail sealed).
    assert [c.__name__ for c in callbacks if c.__name__ != "_seal_committed"] == ["<lambda>"] and not mail.outbox


def test_a_delivery_is_sent_once_however_often_its_task_runs(liaison_officer):
    case, _items = case_with_items(count=1)
    notice = sending.send_notice(case=case, actor=liaison_officer)
    sent = Delivery.objects.get(notice=notice)
    assert delivery.send_delivery(delivery_id=sent.pk) == "sent"
    assert delivery.send_delivery(delivery_id=sent.pk) == "skipped"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == sent.message_id
    sent.refresh_from_db()
    assert sent.state == Delivery.State.SENT
    assert sent.server_reply == "kept in memory by the test mail system"  # words, not a class path
    assert sent.accepted_at is not None and sent.attempts == 1


def test_references_count_up_within_the_year(liaison_officer):
    first_case, _ = case_with_items(count=1)
    second_case, _ = case_with_items(count=1)
    first = sending.send_notice(case=first_case, actor=liaison_officer)
    second = sending.send_notice(case=second_case, actor=liaison_officer)
    assert [first.reference[-6:], second.reference[-6:]] == ["000001", "000002"]


def test_a_platform_without_an_active_contact_is_refused_and_nothing_saved(liaison_officer):
    case, _items = case_with_items(count=1, contacts=0)
    PlatformContactFactory(platform=case.platform, is_active=False)
    with pytest.raises(DomainError, match=case.platform.name) as error:
        sending.send_notice(case=case, actor=liaison_officer)
    assert error.value.code == "no_contact"
    assert not Notice.objects.exists() and not ReferenceSequence.objects.filter(last__gt=0).exists()
    assert set(FlaggedItem.objects.values_list("status", flat=True)) == {FlaggedItem.Status.VERIFIED}


def test_an_unknown_placeholder_is_refused_when_the_step_is_saved():
    step = ladder().steps.get(position=1)
    step.body_template = "Dear {platform}, see {itmes} by {deadline}."
    with pytest.raises(UnknownPlaceholder, match=r"\{itmes\}") as error:
        step.save()
    assert "body_template" in error.value.fields
    assert "{itmes}" not in EscalationStep.objects.get(pk=step.pk).body_template


def test_an_unknown_placeholder_is_refused_when_rendering(liaison_officer):
    case, _items = case_with_items(count=1)
    EscalationStep.objects.filter(policy=ladder(), position=1).update(subject_template="{reference} {case.owner}")
    with pytest.raises(UnknownPlaceholder, match=r"\{case.owner\}"):
        sending.send_notice(case=case, actor=liaison_officer)
    assert not Notice.objects.exists()


def test_placeholders_allow_literal_braces_and_refuse_stray_ones():
    assert render("{{x}} {platform}", {"platform": "Telegram"}) == "{x} Telegram"
    with pytest.raises(UnknownPlaceholder, match="unmatched brace"):
        render("a { b", {})


def test_only_a_liaison_officer_or_supervisor_sends(analyst):
    case, _items = case_with_items(count=1)
    with pytest.raises(NotPermitted):
        sending.send_notice(case=case, actor=analyst)


def test_an_item_already_in_a_notice_awaiting_reply_is_not_sent_again(liaison_officer):
    case, items = case_with_items(count=1)
    sending.send_notice(case=case, actor=liaison_officer)
    with pytest.raises(DomainError, match="Already in a notice awaiting reply"):
        sending.send_notice(case=case, actor=liaison_officer, items=items, step=ladder().steps.get(position=2))


def test_a_prepared_notice_is_sent_only_when_confirmed(liaison_officer, django_capture_on_commit_callbacks):
    case, _items = case_with_items(count=1)
    notice = sending.prepare_notice(case=case, actor=liaison_officer)
    assert notice.status == Notice.Status.PREPARED and not Delivery.objects.exists()
    assert notice.reference in notice.subject
    with django_capture_on_commit_callbacks() as callbacks:
        sending.confirm_prepared_notice(notice=notice, actor=liaison_officer)
    notice.refresh_from_db()
    assert notice.status == Notice.Status.SENT and Delivery.objects.filter(notice=notice).count() == 1
    assert len(callbacks) == 1
    with pytest.raises(DomainError, match="not waiting for confirmation"):
        sending.confirm_prepared_notice(notice=notice, actor=liaison_officer)


def test_the_notice_is_written_in_the_platforms_language(liaison_officer):
    step = ladder().steps.get(position=1)
    step.translations.create(
        language="id", subject_template="[{reference}] Permintaan", body_template="Mohon hapus:\n{items}"
    )
    case, _items = case_with_items(count=1)
    case.platform.language = "id"
    case.platform.save()
    notice = sending.send_notice(case=case, actor=liaison_officer)
    assert notice.subject.endswith("Permintaan") and notice.body.startswith("Mohon hapus:")
    assert notice.language == "id"


def test_a_follow_up_is_threaded_under_the_earlier_notice_sent_to_each_recipient(liaison_officer):
    case, _items = case_with_items(count=1, contacts=2)
    first = sending.send_notice(case=case, actor=liaison_officer)
    with time_machine.travel(first.deadline_at, tick=False):
        assert lapses.advance_notice(notice_id=first.pk) == "sent"
    follow_up = Notice.objects.get(previous=first)
    earlier = {d.recipient: d.message_id for d in first.deliveries.all()}
    for sent in follow_up.deliveries.all():
        headers = message_from_bytes(bytes(sent.raw_message))
        assert headers["In-Reply-To"] == earlier[sent.recipient]
        assert headers["References"] == earlier[sent.recipient]
    assert len(earlier) == 2 and len(set(earlier.values())) == 2
