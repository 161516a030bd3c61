"""Orders given before the tracker are recorded on a page too, with their real times, as the API allows: a draft
that a second supervisor approves, never mailed."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from blocking.models import BlockOrder

pytestmark = pytest.mark.django_db
JULY_2017 = datetime(2017, 7, 14, 11, 30, tzinfo=ZoneInfo("Asia/Jakarta"))


def past_order_form(**overrides):
    return {
        "past": "1",
        "names": "t.me\nweb.telegram.org",
        "justification": "Six notices unanswered",
        "legal_basis": "Law 19/2016",
        "effective_at": "2017-07-14T11:30",
        "binds_all_isps": "on",
        **overrides,
    }


def test_a_supervisor_records_a_past_block_and_its_lift_on_the_pages(client, supervisor):
    client.force_login(supervisor)
    page = client.get(reverse("blocking-order-new") + "?past=1")
    assert "Record a block order of the past" in page.content.decode()
    saved = client.post(reverse("blocking-order-new"), past_order_form())
    block = BlockOrder.objects.get()
    assert saved.status_code == 302
    assert block.recorded_afterwards and block.effective_at == JULY_2017 and block.status == "draft"

    lift_page = client.get(reverse("blocking-lift-new", args=[block.pk]) + "?past=1")
    assert "Record a lift of the past" in lift_page.content.decode()
    client.post(
        reverse("blocking-lift-new", args=[block.pk]),
        {"past": "1", "justification": "apology", "legal_basis": "Law 19/2016", "effective_at": "2017-08-10T12:00"},
    )
    lift = BlockOrder.objects.get(kind=BlockOrder.Kind.LIFT)
    assert lift.recorded_afterwards and lift.lifts_id == block.pk


def test_a_past_time_without_the_past_flag_is_still_refused(client, supervisor):
    client.force_login(supervisor)
    page = client.post(reverse("blocking-order-new"), {**past_order_form(), "past": ""})
    assert page.status_code == 200 and not BlockOrder.objects.exists()
