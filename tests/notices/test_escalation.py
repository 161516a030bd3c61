"""The escalation sweep: reminders to the case owner, the next step when a deadline lapses, a block proposal
at the end of the ladder; replies that stop it for some items or all. Time is frozen throughout."""

import itertools
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail

from blocking.models import BlockProposal
from notices import delivery, lapses, replies, sending
from notices.models import Delivery, Notice, NoticeItem, Notification
from notices.tasks import run_sweep
from tests.factories_notices import case_with_items, ladder
from tracker.cases.models import Case
from tracker.core.errors import DomainError, TransitionNotAllowed
from tracker.core.models import AuditEntry
from tracker.items.models import FlaggedItem

pytestmark = pytest.mark.django_db

START = datetime.fromisoformat("2017-03-29T09:00:00+07:00")


def sweep_at(at) -> list[str]:
    """One beat of the sweep at `at`, with the tasks it hands out run in place, and the notices they queue sent
    (the owner's notification emails wait: they are not the platform's mail)."""
    with time_machine.travel(at, tick=False):
        claimed = run_sweep()["notices"]
        done = [lapses.advance_notice(notice_id=notice_id) for notice_id in claimed]
        queued_notices = Delivery.objects.filter(kind=Delivery.Kind.NOTICE, state=Delivery.State.QUEUED)
        for queued in queued_notices.values_list("pk", flat=True):
            delivery.send_delivery(delivery_id=queued)
    return done


def state() -> tuple:
    return (
        list(Notice.objects.order_by("pk").values_list("pk", "status", "next_action_at", "owner_reminders_done")),
        Delivery.objects.count(),
        Notification.objects.count(),
        AuditEntry.objects.count(),
        BlockProposal.objects.count(),
    )


def latest(case) -> Notice:
    return Notice.objects.filter(case=case).order_by("-step__position").first()


def test_unanswered_notices_climb_the_six_step_ladder_to_a_block_proposal(liaison_officer):
    case, _items = case_with_items(count=2, urgency="urgent")
    with time_machine.travel(START, tick=False):
        first = sending.send_notice(case=case, actor=liaison_officer)
        delivery.send_delivery(delivery_id=first.deliveries.get().pk)
    outcomes = []
    for _step in range(3):
        outcomes += sweep_at(latest(case).deadline_at)
    assert outcomes == ["sent", "sent", "sent"]
    # Step 4 (second warning) lapses; step 5, the final warning, waits for a person.
    assert sweep_at(latest(case).deadline_at) == ["prepared"]
    final = latest(case)
    assert final.step.name == "Final warning" and final.status == Notice.Status.PREPARED
    assert Notification.objects.filter(kind=Notification.Kind.STEP_PREPARED, notice=final, user=case.owner).exists()
    with time_machine.travel(final.prepared_at + timedelta(minutes=30), tick=False):
        sending.confirm_prepared_notice(notice=final, actor=liaison_officer)
    final.refresh_from_db()
    assert sweep_at(final.deadline_at - timedelta(seconds=1)) == ["reminded"]  # the owner, 2 h before
    assert sweep_at(final.deadline_at) == ["block_proposed"]

    ladder_run = list(Notice.objects.filter(case=case).order_by("step__position"))
    assert [notice.step.position for notice in ladder_run] == [1, 2, 3, 4, 5]
    assert all(notice.status == Notice.Status.LAPSED for notice in ladder_run)
    assert [notice.sent_by_label for notice in ladder_run] == [liaison_officer.username] + ["escalation sweep"] * 3 + [
        liaison_officer.username
    ]
    assert all(notice.previous_id == before.pk for before, notice in itertools.pairwise(ladder_run))
    assert len(mail.outbox) == 5
    assert all(notice.reference in message.subject for notice, message in zip(ladder_run, mail.outbox, strict=True))
    assert ladder_run[1].reference.split("/")[-1] == "000002"
    assert ladder_run[0].reference in ladder_run[4].body  # the final warning names the notices before it
    proposal = BlockProposal.objects.get(case=case)
    assert proposal.proposed_by_label == "escalation sweep" and ladder_run[4].reference in proposal.reason
    case.refresh_from_db()
    assert case.status == Case.Status.ESCALATED
    assert sweep_at(final.deadline_at + timedelta(hours=1)) == []


def test_a_partial_reply_stops_escalation_for_the_resolved_items_only(liaison_officer):
    case, (removed, restricted, ignored) = case_with_items(count=3, urgency="urgent")
    with time_machine.travel(START, tick=False):
        first = sending.send_notice(case=case, actor=liaison_officer)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        replies.record_platform_reply(
            notice=first,
            actor=liaison_officer,
            received_at=START + timedelta(minutes=50),
            channel="email",
            summary="Two channels taken down, the third under review",
            outcomes={removed.pk: "removed", restricted.pk: "restricted", ignored.pk: "no_action"},
        )
    first.refresh_from_db()
    assert first.status == Notice.Status.PARTLY_ANSWERED and first.next_action_at == first.deadline_at - timedelta(
        hours=2
    )
    statuses = dict(FlaggedItem.objects.values_list("pk", "status"))
    assert statuses == {removed.pk: "removed", restricted.pk: "restricted", ignored.pk: "in_notice"}

    assert sweep_at(first.deadline_at) == ["sent"]
    reminder = latest(case)
    assert list(reminder.notice_items.values_list("item", flat=True)) == [ignored.pk]
    assert ignored.display in reminder.body and removed.display not in reminder.body

    late = replies.record_platform_reply(
        notice=first,
        actor=liaison_officer,
        received_at=first.deadline_at,
        channel="email",
        summary="late",
        outcomes={},
    )
    first.refresh_from_db()
    assert late.late and first.status == Notice.Status.LAPSED  # recorded late: the lapse and the reminder stand
    with time_machine.travel(reminder.sent_at + timedelta(hours=1), tick=False):
        replies.record_platform_reply(
            notice=reminder,
            actor=liaison_officer,
            received_at=reminder.sent_at + timedelta(hours=1),
            channel="portal",
            summary="Third channel removed",
            outcomes={ignored.pk: "removed"},
        )
    reminder.refresh_from_db()
    assert reminder.status == Notice.Status.ANSWERED and reminder.next_action_at is None
    assert sweep_at(reminder.deadline_at + timedelta(days=1)) == []
    assert Notice.objects.filter(case=case).count() == 2
    with pytest.raises(TransitionNotAllowed, match="takes no more replies"):
        replies.record_platform_reply(
            notice=reminder,
            actor=liaison_officer,
            received_at=reminder.deadline_at,
            channel="email",
            summary="again",
            outcomes={},
        )


def test_a_refusal_needs_a_reason_and_keeps_the_item_on_the_ladder(liaison_officer):
    case, (item,) = case_with_items(count=1)
    with time_machine.travel(START, tick=False):
        notice = sending.send_notice(case=case, actor=liaison_officer)
        with pytest.raises(DomainError, match="needs the platform's reason"):
            replies.record_platform_reply(
                notice=notice,
                actor=liaison_officer,
                received_at=START,
                channel="email",
                summary="no",
                outcomes={item.pk: "refused"},
            )
        replies.record_platform_reply(
            notice=notice,
            actor=liaison_officer,
            received_at=START,
            channel="email",
            summary="Refused",
            outcomes={item.pk: ("refused", "satire, protected speech")},
        )
    item.refresh_from_db()
    assert item.status == FlaggedItem.Status.REFUSED
    assert NoticeItem.objects.get(notice=notice).outcome_reason == "satire, protected speech"
    assert sweep_at(notice.deadline_at) == ["sent"]
    item.refresh_from_db()
    assert item.status == FlaggedItem.Status.IN_NOTICE


@pytest.mark.parametrize(("offset", "expected"), [(-1, []), (0, ["sent"]), (1, ["sent"])])
def test_the_deadline_lapses_exactly_at_its_instant(liaison_officer, offset, expected):
    case, _items = case_with_items(count=1, urgency="normal")
    with time_machine.travel(START, tick=False):
        notice = sending.send_notice(case=case, actor=liaison_officer)
    assert notice.deadline_at == START + timedelta(hours=24)
    assert notice.owner_reminders_done == 1  # 24 h before the deadline is the moment it was sent
    assert sweep_at(notice.deadline_at - timedelta(hours=2, seconds=1)) == []
    assert sweep_at(notice.deadline_at - timedelta(hours=2)) == ["reminded"]
    assert sweep_at(notice.deadline_at + timedelta(seconds=offset)) == expected
    notice.refresh_from_db()
    assert notice.status == (Notice.Status.SENT if offset < 0 else Notice.Status.LAPSED)


def test_the_owner_is_reminded_in_the_app_and_by_email_before_the_deadline(
    liaison_officer, django_capture_on_commit_callbacks
):
    case, _items = case_with_items(count=1, urgency="normal", owner=liaison_officer)
    with time_machine.travel(START, tick=False):
        notice = sending.send_notice(case=case, actor=liaison_officer)
    with (
        time_machine.travel(notice.deadline_at - timedelta(hours=2), tick=False),
        django_capture_on_commit_callbacks() as callbacks,
    ):
        assert lapses.advance_notice(notice_id=notice.pk) == "reminded"
        assert lapses.advance_notice(notice_id=notice.pk) == ""
    reminder = Notification.objects.get(user=liaison_officer, kind=Notification.Kind.DEADLINE_REMINDER)
    assert notice.reference in reminder.title and "2 h" in reminder.title
    assert len(callbacks) == 1  # its email, queued after commit
    (email,) = delivery.deliveries_about(Notification, [reminder.pk])
    assert delivery.send_delivery(delivery_id=email.pk) == "sent"
    assert delivery.send_delivery(delivery_id=email.pk) == "skipped"  # a retried task sends nothing again
    assert [message.to for message in mail.outbox] == [[liaison_officer.email]]


def test_a_second_sweep_at_the_same_instant_changes_nothing(liaison_officer):
    for _ in range(3):
        case, _items = case_with_items(count=2)
        with time_machine.travel(START, tick=False):
            sending.send_notice(case=case, actor=liaison_officer)
    due = START + timedelta(hours=4)
    assert sweep_at(due) == ["sent", "sent", "sent"]
    before = state()
    assert sweep_at(due) == []
    with time_machine.travel(due, tick=False):
        for notice_id in Notice.objects.values_list("pk", flat=True):  # a duplicated task changes nothing either
            lapses.advance_notice(notice_id=notice_id)
    assert state() == before


@pytest.mark.parametrize("count", [2, 6])
def test_the_sweep_makes_the_same_queries_however_much_is_due(
    liaison_officer, django_assert_num_queries, count, request
):
    for _ in range(count):
        case, _items = case_with_items(count=1)
        with time_machine.travel(START, tick=False):
            sending.send_notice(case=case, actor=liaison_officer)
    with time_machine.travel(START + timedelta(hours=5), tick=False), django_assert_num_queries(8):
        # select the due notices (skip locked) and lease them; the same for unfinished deliveries; a savepoint each
        result = run_sweep()
    assert len(result["notices"]) == count and len(result["deliveries"]) == count


def test_a_notice_sent_outside_the_tracker_takes_its_place_in_the_ladder(liaison_officer):
    case, items = case_with_items(count=1)
    sent_at = datetime.fromisoformat("2016-03-29T10:00:00+07:00")
    past = sending.record_past_notice(
        case=case, actor=liaison_officer, sent_at=sent_at, items=items, sent_by_label="Head of Directorate"
    )
    assert past.reference == "TKD/2016/000001" and past.recorded_afterwards and past.recorded_by == liaison_officer
    assert past.status == Notice.Status.LAPSED and past.next_action_at is None
    assert not Delivery.objects.exists()
    assert sweep_at(datetime.fromisoformat("2017-01-01T00:00:00+07:00")) == []
    assert not Delivery.objects.exists()  # never sent
    following = sending.send_notice(case=case, actor=liaison_officer, items=items)
    assert following.step.position == 2
    assert past.reference in following.body


def test_the_default_ladder_has_six_steps_ending_in_a_block_proposal():
    steps = list(ladder().steps.values_list("position", "kind", "automatic", "urgent_response_minutes"))
    assert [kind for _, kind, _, _ in steps] == [
        "notice",
        "reminder",
        "reminder",
        "reminder",
        "final_warning",
        "block_proposal",
    ]
    assert {minutes for *_, minutes in steps} == {240}
