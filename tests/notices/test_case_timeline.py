"""The case timeline tells the notices' story in order: sent, reminded, answered in part, objected to, lapsed,
escalated; in a number of queries that does not grow with the case."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from notices import ladder, lapses, rebuttals, replies, sending
from notices.timeline import case_events
from tests.factories_notices import case_with_items
from tracker.cases.timeline import case_timeline

pytestmark = pytest.mark.django_db

START = datetime.fromisoformat("2017-03-29T09:00:00+07:00")


def run_case(liaison_officer, supervisor, count):
    case, items = case_with_items(count=count, urgency="normal")
    step = ladder.next_step_for(case)
    step.sanction_amount = Decimal("25000000")
    step.save()
    with time_machine.travel(START, tick=False):
        notice = sending.send_notice(case=case, actor=liaison_officer)
    with time_machine.travel(notice.deadline_at - timedelta(hours=1), tick=False):
        assert lapses.advance_notice(notice_id=notice.pk) == "reminded"
        replies.record_platform_reply(
            notice=notice,
            actor=liaison_officer,
            received_at=notice.deadline_at - timedelta(hours=2),
            channel="email",
            summary="One channel removed; the other is satire.",
            outcomes={items[0].pk: "removed"},
        )
        rebuttal = rebuttals.record_rebuttal(
            notice_item=notice.notice_items.get(item=items[1]),
            actor=liaison_officer,
            received_at=notice.deadline_at - timedelta(hours=2),
            reasons="Satire.",
        )
        rebuttals.decide_rebuttal(rebuttal=rebuttal, actor=supervisor, decision="upheld", reason="Incitement.")
    with time_machine.travel(notice.deadline_at, tick=False):
        assert lapses.advance_notice(notice_id=notice.pk) == "sent"
    return case


def test_the_timeline_tells_a_partly_answered_notice_in_order(liaison_officer, supervisor):
    case = run_case(liaison_officer, supervisor, count=2)
    kinds = [event.kind for event in case_timeline(case) if event.kind not in ("case_opened", "item_added")]
    assert kinds == [
        "notice_sent",
        "sanction",
        "reply",
        "rebuttal",
        "reminder",
        "rebuttal_decided",
        "notice_lapsed",
        "notice_sent",
    ]
    sanction = next(event for event in case_events(case) if event.kind == "sanction")
    assert "25,000,000 IDR" in sanction.title
    assert all(event.url.startswith("/notices/") for event in case_events(case) if event.kind.startswith("notice"))


@pytest.mark.parametrize("count", [2, 6])
def test_the_notices_timeline_queries_do_not_grow_with_the_case(
    liaison_officer, supervisor, count, django_assert_num_queries
):
    case = run_case(liaison_officer, supervisor, count=count)
    with django_assert_num_queries(7):  # notices, reminders, replies, mail, rebuttals, sanctions, contacts
        case_events(case)
