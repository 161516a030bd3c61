"""The demo records the six unanswered emails of 2016-2017 afterwards: in the ladder and the timeline, never sent."""

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from notices import demo
from notices.models import Delivery, Notice
from notices.sweep import SWEEP_LABEL
from notices.tasks import run_sweep
from tracker.cases.demo import CASE_TITLE
from tracker.cases.models import Case
from tracker.cases.timeline import case_timeline

pytestmark = pytest.mark.django_db

EMAIL_DAYS = [
    date(2016, 3, 29),
    date(2016, 6, 28),
    date(2016, 9, 27),
    date(2016, 12, 27),
    date(2017, 3, 28),
    date(2017, 6, 11),
]


@pytest.fixture(scope="module")
def case(django_db_setup, django_db_blocker):
    """The demo loaded twice (it must be safe to), once for the module; rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        call_command("load_demo", stdout=io.StringIO())
        yield Case.objects.get(title=CASE_TITLE)
        transaction.set_rollback(True)


def test_the_six_emails_are_recorded_afterwards_with_their_dates_once(case):
    notices = list(demo.recorded_emails(case))
    assert Notice.objects.filter(case=case).count() == len(notices) == 6
    assert [timezone.localtime(notice.sent_at, demo.WIB).date() for notice in notices] == EMAIL_DAYS
    assert [notice.reference for notice in notices] == [
        "TKD/2016/000001",
        "TKD/2016/000002",
        "TKD/2016/000003",
        "TKD/2016/000004",
        "TKD/2017/000001",
        "TKD/2017/000002",
    ]
    assert all(notice.recorded_afterwards and notice.recorded_by.username == "liaison" for notice in notices)
    assert [notice.step.position for notice in notices] == [1, 2, 3, 4, 5, 5]
    assert [notice.beyond_ladder for notice in notices] == [False] * 5 + [True]  # the ladder has five rungs
    assert all(notice.notice_items.count() == 6 for notice in notices)


def test_none_was_answered_all_lapsed_and_none_is_sent_by_the_tracker(case):
    notices = list(demo.recorded_emails(case))
    assert {notice.status for notice in notices} == {Notice.Status.LAPSED}
    assert all(notice.lapsed_at == notice.deadline_at < timezone.now() for notice in notices)
    assert all(notice.next_action_at is None for notice in notices)
    assert not any(notice.replies.exists() for notice in notices)
    assert not Delivery.objects.filter(notice__case=case).exists()
    assert {(notice.sent_by_id, notice.sent_by_label) for notice in notices} == {(None, demo.SENDER)}
    assert SWEEP_LABEL not in {notice.sent_by_label for notice in notices}
    claimed = run_sweep()["notices"]
    assert not set(claimed) & {notice.pk for notice in notices}


def test_the_sixth_email_keeps_both_dates_the_press_release_gives(case):
    sixth = demo.recorded_emails(case).last()
    assert timezone.localtime(sixth.sent_at, demo.WIB).date() == date(2017, 6, 11)
    assert "11 July 2017" in sixth.body and "Tuesday (11/7)" in sixth.body
    assert timezone.localtime(sixth.deadline_at, demo.WIB).date() == date(2017, 7, 13)
    assert "placeholder" in demo.recorded_emails(case)[1].body


def test_the_case_timeline_tells_the_story_in_order(case):
    events = case_timeline(case)
    kinds = [event.kind for event in events]
    sent = [event for event in events if event.kind == "notice_sent"]
    assert [event.extra["reference"] for event in sent] == [n.reference for n in demo.recorded_emails(case)]
    assert all(event.recorded_afterwards for event in sent)
    assert kinds.index("case_opened") < kinds.index("notice_sent")
    lapses = [index for index, kind in enumerate(kinds) if kind == "notice_lapsed"]
    assert len(lapses) == 6
    assert lapses[-1] < kinds.index("block_order")  # the block followed the last lapse


def test_the_ceos_public_apology_is_in_the_contact_log_once(case):
    entry = demo.apology(case).get()
    assert timezone.localtime(entry.occurred_at, demo.WIB).date() == date(2017, 7, 16)
    assert entry.platform_participants == ["Telegram's CEO"] and "placeholder" in entry.summary
    contact = next(event for event in case_timeline(case) if event.kind == "contact")
    assert "Public statement" in contact.title
