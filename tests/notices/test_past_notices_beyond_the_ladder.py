"""A ministry records its real history, however long: past notices beyond the ladder's length are extra steps
that repeat its last notice rung, marked so; they never escalate, never send, and take their place in order."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from blocking.models import BlockProposal
from notices import lapses, sending
from notices.models import Delivery, Notice, Sanction
from notices.tasks import run_sweep
from tests.factories_notices import case_with_items
from tracker.cases.models import Case
from tracker.cases.timeline import case_timeline
from tracker.core.errors import TransitionNotAllowed

pytestmark = pytest.mark.django_db

# The six emails to Telegram (../shared/DOMAIN.md): the first and the last dates are the press release's.
SIX = [
    datetime.fromisoformat(day + "T10:00:00+07:00")
    for day in ("2016-03-29", "2016-06-28", "2016-09-27", "2016-12-27", "2017-03-28", "2017-06-11")
]


def record(case, officer, items, sent_at, **kwargs):
    return sending.record_past_notice(case=case, actor=officer, sent_at=sent_at, items=items, **kwargs)


def test_a_sixth_past_notice_on_a_five_rung_ladder_is_recorded_beyond_it(liaison_officer):
    case, items = case_with_items(count=1)
    notices = [record(case, liaison_officer, items, sent_at) for sent_at in SIX]
    assert [notice.step.position for notice in notices] == [1, 2, 3, 4, 5, 5]
    assert [notice.beyond_ladder for notice in notices] == [False] * 5 + [True]
    sixth = notices[-1]
    assert sixth.recorded_afterwards and sixth.status == Notice.Status.LAPSED and sixth.next_action_at is None
    assert not Delivery.objects.exists()


def test_a_seventh_one_goes_beyond_it_too_and_a_chosen_rung_is_kept(liaison_officer):
    case, items = case_with_items(count=1)
    for sent_at in SIX:
        record(case, liaison_officer, items, sent_at)
    first_rung = Notice.objects.get(case=case, step__position=1).step
    seventh = record(case, liaison_officer, items, SIX[-1] + timedelta(days=10), step=first_rung)
    assert seventh.beyond_ladder and seventh.step == first_rung


def test_an_extra_notice_with_its_deadline_ahead_lapses_and_escalates_nothing(liaison_officer):
    case, items = case_with_items(count=1)
    for sent_at in SIX[:5]:
        record(case, liaison_officer, items, sent_at)
    now = timezone.now()
    extra = record(case, liaison_officer, items, now - timedelta(hours=1), deadline_at=now + timedelta(days=1))
    assert extra.beyond_ladder and extra.status == Notice.Status.SENT and extra.next_action_at is not None

    def sweep_at(at):
        with time_machine.travel(at, tick=False):
            return [lapses.advance_notice(notice_id=pk) for pk in run_sweep()["notices"]]

    sweep_at(extra.deadline_at - timedelta(seconds=1))
    sweep_at(extra.deadline_at)
    extra.refresh_from_db()
    assert extra.status == Notice.Status.LAPSED
    assert Notice.objects.filter(case=case).count() == 6  # no next step prepared or sent
    assert not BlockProposal.objects.exists() and Case.objects.get().status == Case.Status.OPEN
    assert not Delivery.objects.filter(kind=Delivery.Kind.NOTICE).exists()  # the owner's reminders are mail
    assert sweep_at(extra.deadline_at + timedelta(days=1)) == []


def test_an_extra_notice_imposes_no_second_sanction_of_its_rung(liaison_officer):
    case, items = case_with_items(count=1)
    notices = [record(case, liaison_officer, items, sent_at) for sent_at in SIX[:5]]
    last_rung = notices[-1].step
    last_rung.sanction_amount = 1000
    last_rung.save()
    record(case, liaison_officer, items, SIX[5])
    assert Sanction.objects.count() == 0  # rung 5 was recorded before it had a sanction; the extra adds none


def test_sending_a_new_notice_after_the_ladder_ran_out_is_still_refused(liaison_officer):
    case, items = case_with_items(count=1)
    for sent_at in SIX:
        record(case, liaison_officer, items, sent_at)
    with pytest.raises(TransitionNotAllowed, match="no notice step left"):
        sending.send_notice(case=case, actor=liaison_officer)


def test_the_timeline_tells_the_six_in_order_and_marks_the_extra_one(liaison_officer):
    case, items = case_with_items(count=1)
    for sent_at in reversed(SIX):  # recorded in any order, told in the order they were sent
        record(case, liaison_officer, items, sent_at)
    sent = [event for event in case_timeline(case) if event.kind == "notice_sent"]
    assert [event.at for event in sent] == SIX
    marked = [event for event in sent if event.extra.get("beyond_ladder")]
    assert len(marked) == 1 and "extra" in marked[0].title and marked[0].recorded_afterwards


def test_the_api_records_a_sixth_past_notice_beyond_the_ladder(api_client, liaison_officer):
    case, items = case_with_items(count=1)
    for sent_at in SIX[:5]:
        record(case, liaison_officer, items, sent_at)
    api_client.force_authenticate(liaison_officer)
    response = api_client.post(
        "/api/v1/notices/record-past/",
        {"case": case.pk, "sent_at": SIX[5].isoformat(), "items": [items[0].pk]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["beyond_ladder"] is True and body["step_position"] == 5 and body["status"] == "lapsed"


def test_the_page_records_a_sixth_past_notice_and_the_case_page_marks_it(client, liaison_officer):
    case, items = case_with_items(count=1)
    for sent_at in SIX[:5]:
        record(case, liaison_officer, items, sent_at)
    client.force_login(liaison_officer)
    response = client.post(
        reverse("notices-case-record", args=[case.pk]),
        {"sent_at": "2017-06-11T10:00", "items": [items[0].pk], "sent_by_label": "ministry mailbox"},
    )
    extra = Notice.objects.get(case=case, beyond_ladder=True)
    assert response.status_code == 302 and response["Location"] == reverse("notices-detail", args=[extra.pk])
    page = client.get(reverse("cases-detail", args=[case.pk])).content.decode()
    assert "extra, beyond the ladder" in page
    assert "extra, beyond the ladder" in client.get(reverse("notices-detail", args=[extra.pk])).content.decode()
