"""The sweep's queries do not grow with the number of open notices: it reads only what is due, by index."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from notices import lapses, sending
from notices.models import Delivery, Notification
from notices.tasks import run_sweep
from tests.factories_notices import case_with_items

pytestmark = pytest.mark.django_db

START = datetime.fromisoformat("2017-03-29T09:00:00+07:00")
SWEEP_AT = START + timedelta(hours=4)  # the urgent notices' deadline; the normal ones have a day to answer


def open_notices(officer, *, due: int, not_due: int) -> None:
    for _ in range(due):
        case, _items = case_with_items(count=1, urgency="urgent")
        sending.send_notice(case=case, actor=officer, now=START)
    for _ in range(not_due):
        case, _items = case_with_items(count=1, urgency="normal")
        sending.send_notice(case=case, actor=officer, now=START + timedelta(hours=3))
    Delivery.objects.update(state=Delivery.State.SENT, next_attempt_at=None)  # they all went out


@pytest.mark.parametrize("not_due", [2, 20])
def test_the_sweep_makes_the_same_queries_however_many_notices_are_open(
    liaison_officer, django_assert_num_queries, not_due
):
    open_notices(liaison_officer, due=2, not_due=not_due)
    with time_machine.travel(SWEEP_AT, tick=False):
        with django_assert_num_queries(7):
            # due notices: select (skip locked) and lease; unfinished deliveries: select; a savepoint around each
            result = run_sweep()
        assert len(result["notices"]) == 2 and result["deliveries"] == []
        with django_assert_num_queries(6):
            # the same instant again: the two are leased, nothing else is due
            assert run_sweep() == {"notices": [], "deliveries": []}


def test_one_sweep_drains_a_backlog_in_batches_each_queued_after_its_claim(
    liaison_officer, django_capture_on_commit_callbacks, monkeypatch
):
    from notices import tasks

    open_notices(liaison_officer, due=5, not_due=1)
    queued = []
    monkeypatch.setattr(tasks.advance_notices, "delay", lambda ids: queued.append(ids))
    with time_machine.travel(SWEEP_AT, tick=False), django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = run_sweep(batch=2)
    assert len(result["notices"]) == 5 and len(callbacks) == 3  # batches of 2, 2 and 1, each its own commit
    assert sorted(notice_id for batch in queued for notice_id in batch) == sorted(result["notices"])


def test_a_sweep_out_of_time_leaves_the_rest_to_the_next_beat(liaison_officer):
    open_notices(liaison_officer, due=5, not_due=0)
    with time_machine.travel(SWEEP_AT, tick=False):
        first = run_sweep(batch=2, budget_seconds=0)
        second = run_sweep(batch=2, budget_seconds=0)
        rest = run_sweep(batch=2)
    assert (len(first["notices"]), len(second["notices"]), len(rest["notices"])) == (2, 2, 1)
    assert len(set(first["notices"] + second["notices"] + rest["notices"])) == 5


@pytest.mark.parametrize("items", [1, 5])
def test_a_lapse_that_sends_the_next_step_makes_the_same_queries_however_many_items(
    liaison_officer, django_assert_num_queries, items
):
    case, _items = case_with_items(count=items, urgency="urgent")
    notice = sending.send_notice(case=case, actor=liaison_officer, now=START)
    ContentType.objects.get_for_model(Notification)  # cached per process: the count must not depend on test order
    with django_assert_num_queries(19):
        # savepoint; lock the notice; lapse it and audit; its open items still in the case; the next step;
        # contacts; items in other notices; reference; template and earlier references; insert the follow-up
        # and its items; earlier Message-IDs and the delivery; audit; the owner's notification and its email's
        # delivery; release
        assert lapses.advance_notice(notice_id=notice.pk, now=SWEEP_AT) == "sent"
