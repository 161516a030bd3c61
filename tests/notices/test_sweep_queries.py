"""The sweep's queries do not grow with the number of open notices: it reads only what is due, by index."""

from datetime import datetime, timedelta

import pytest
import time_machine

from notices import services
from notices.models import Delivery
from notices.tasks import run_sweep
from tests.factories_notices import case_with_items

pytestmark = pytest.mark.django_db

START = datetime.fromisoformat("2017-03-29T09:00:00+07:00")
SWEEP_AT = START + timedelta(hours=4)  # the urgent notices' deadline; the normal ones have a day to answer


def open_notices(officer, *, due: int, not_due: int) -> None:
    for _ in range(due):
        case, _items = case_with_items(count=1, urgency="urgent")
        services.send_notice(case=case, actor=officer, now=START)
    for _ in range(not_due):
        case, _items = case_with_items(count=1, urgency="normal")
        services.send_notice(case=case, actor=officer, now=START + timedelta(hours=3))
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
