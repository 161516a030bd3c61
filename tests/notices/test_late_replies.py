"""A reply that comes after a notice lapsed is recorded as late, with how late; the lapse and the escalation
that followed stand. A notice never sent, or already answered, still takes no reply, and says why."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from notices import lapses, replies, sending
from notices.models import Notice, NoticeItem, PlatformReply
from tests.factories_notices import case_with_items
from tracker.cases.timeline import case_timeline
from tracker.core.actors import SWEEP
from tracker.core.errors import TransitionNotAllowed
from tracker.core.models import AuditEntry
from tracker.items.models import FlaggedItem

pytestmark = pytest.mark.django_db

JAKARTA = ZoneInfo("Asia/Jakarta")  # the default user's time zone, in which the form's times are read
START = datetime.fromisoformat("2017-03-29T09:00:00+07:00")


def lapsed_and_followed(officer, count=2):
    """A notice sent at START whose deadline passed unanswered, and the reminder the sweep sent after it."""
    case, items = case_with_items(count=count)
    with time_machine.travel(START, tick=False):
        first = sending.send_notice(case=case, actor=officer)
    with time_machine.travel(first.deadline_at, tick=False):
        assert lapses.advance_notice(notice_id=first.pk) == "sent"
    first.refresh_from_db()
    return first, Notice.objects.get(previous=first), items


def late_reply(notice, officer, *, after, outcomes=None, **kwargs):
    received = notice.deadline_at + after
    with time_machine.travel(received + timedelta(hours=1), tick=False):
        return replies.record_platform_reply(
            notice=notice,
            actor=officer,
            received_at=received,
            channel="email",
            summary="We removed the first channel.",
            outcomes=outcomes or {},
            **kwargs,
        )


def test_a_reply_after_the_lapse_is_recorded_late_and_the_escalation_stands(liaison_officer):
    first, reminder, items = lapsed_and_followed(liaison_officer)
    lapsed_at = first.lapsed_at
    reply = late_reply(first, liaison_officer, after=timedelta(days=3), outcomes={items[0].pk: "removed"})
    assert reply.late and reply.late_by == timedelta(days=3)
    first.refresh_from_db()
    reminder.refresh_from_db()
    assert first.status == Notice.Status.LAPSED and first.lapsed_at == lapsed_at and first.answered_at is None
    assert reminder.status == Notice.Status.SENT  # the step that followed is not withdrawn
    assert NoticeItem.objects.get(notice=first, item=items[0]).outcome == "removed"
    assert FlaggedItem.objects.get(pk=items[0].pk).status == FlaggedItem.Status.REMOVED
    assert AuditEntry.objects.filter(object_id=str(reply.pk), action="create", reason__icontains="late").exists()


def test_an_item_removed_late_is_left_out_of_the_next_step(liaison_officer):
    first, reminder, items = lapsed_and_followed(liaison_officer)
    late_reply(first, liaison_officer, after=timedelta(hours=1), outcomes={items[0].pk: "removed"})
    with time_machine.travel(reminder.deadline_at, tick=False):
        assert lapses.advance_notice(notice_id=reminder.pk) == "sent"
    following = Notice.objects.get(previous=reminder)
    assert list(following.notice_items.values_list("item", flat=True)) == [items[1].pk]


def test_a_late_answer_does_not_take_back_what_happened_to_an_item_since(liaison_officer):
    first, reminder, items = lapsed_and_followed(liaison_officer, count=1)
    with time_machine.travel(reminder.sent_at + timedelta(hours=1), tick=False):
        replies.record_platform_reply(
            notice=reminder,
            actor=liaison_officer,
            received_at=reminder.sent_at + timedelta(minutes=30),
            channel="portal",
            summary="Removed.",
            outcomes={items[0].pk: "removed"},
        )
    late_reply(first, liaison_officer, after=timedelta(minutes=10), outcomes={items[0].pk: ("refused", "Satire.")})
    assert FlaggedItem.objects.get(pk=items[0].pk).status == FlaggedItem.Status.REMOVED
    assert NoticeItem.objects.get(notice=first).outcome == "refused"


def test_a_reply_that_arrived_in_time_but_is_recorded_after_the_lapse_says_so(liaison_officer):
    first, _reminder, _items = lapsed_and_followed(liaison_officer)
    reply = late_reply(first, liaison_officer, after=-timedelta(hours=1))
    assert reply.late and reply.late_by == -timedelta(hours=1)
    event = next(event for event in case_timeline(first.case) if event.kind == "reply")
    assert "before the deadline" in event.title and event.extra["late"] is True


def test_the_timeline_shows_a_late_reply_with_how_late(liaison_officer):
    first, _reminder, _items = lapsed_and_followed(liaison_officer)
    late_reply(first, liaison_officer, after=timedelta(days=3, hours=2))
    event = next(event for event in case_timeline(first.case) if event.kind == "reply")
    assert "Late reply" in event.title and "3 days" in event.title
    assert event.extra == {"late": True, "late_by_seconds": (3 * 24 + 2) * 3600}


def test_a_notice_never_sent_takes_no_reply_and_says_why(liaison_officer):
    case, _items = case_with_items(count=1)
    prepared = sending.prepare_notice(case=case, actor=SWEEP)
    with pytest.raises(TransitionNotAllowed, match="has not been sent"):
        replies.record_platform_reply(
            notice=prepared, actor=liaison_officer, received_at=START, channel="email", summary="?", outcomes={}
        )
    assert not PlatformReply.objects.exists()


def test_the_api_records_a_late_reply_and_says_how_late(api_client, liaison_officer):
    first, _reminder, items = lapsed_and_followed(liaison_officer)
    api_client.force_authenticate(liaison_officer)
    received = first.deadline_at + timedelta(days=2)
    with time_machine.travel(received + timedelta(hours=1), tick=False):
        response = api_client.post(
            f"/api/v1/notices/{first.pk}/replies/",
            {
                "received_at": received.isoformat(),
                "channel": "email",
                "summary": "Removed, sorry for the delay.",
                "outcomes": [{"item": items[0].pk, "outcome": "removed"}],
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["late"] is True and body["late_by_seconds"] == 2 * 24 * 3600
    detail = api_client.get(f"/api/v1/notices/{first.pk}/").json()
    assert detail["status"] == "lapsed" and detail["replies"][0]["late"] is True


def test_the_pages_offer_and_record_a_late_reply(client, liaison_officer):
    first, _reminder, items = lapsed_and_followed(liaison_officer)
    client.force_login(liaison_officer)
    detail = client.get(reverse("notices-detail", args=[first.pk])).content.decode()
    assert 'id="record-reply"' in detail and "Record a late reply" in detail
    form = client.get(reverse("notices-reply", args=[first.pk])).content.decode()
    assert 'id="late-reply"' in form and 'id="not-awaiting"' not in form
    received = first.deadline_at + timedelta(days=1)
    with time_machine.travel(received + timedelta(hours=1), tick=False):
        response = client.post(
            reverse("notices-reply", args=[first.pk]),
            {
                "received_at": received.astimezone(JAKARTA).strftime("%Y-%m-%dT%H:%M"),
                "channel": "email",
                "summary": "Removed.",
                f"outcome_{items[0].pk}": "removed",
            },
            follow=True,
        )
    assert response.status_code == 200
    assert "recorded as late" in response.content.decode()
    assert PlatformReply.objects.get().late
    page = client.get(reverse("notices-detail", args=[first.pk])).content.decode()
    assert 'class="badge warn late"' in page
