"""`load_demo` tells the Telegram story from the channels logged to the block of July 2017, and runs twice safely."""

import io

import pytest
from django.core.management import call_command

from blocking.models import BlockOrder
from tracker.cases.demo import CASE_TITLE
from tracker.cases.models import Case
from tracker.items.models import FlaggedItem

pytestmark = pytest.mark.django_db


def test_the_demo_loads_the_telegram_case_with_its_channels_in_the_unanswered_notices_and_its_block_order():
    call_command("load_demo", stdout=io.StringIO())
    call_command("load_demo", stdout=io.StringIO())
    case = Case.objects.get(title=CASE_TITLE)
    items = FlaggedItem.objects.filter(memberships__case=case)
    assert items.count() == 6
    # verified in March 2016, then in the six notices that went unanswered
    assert set(items.values_list("status", flat=True)) == {"in_notice"}
    assert {item.platform.slug for item in items} == {"telegram"}
    merged = items.get(canonical="https://t.me/demo_radikal_satu")
    assert merged.sighting_count == 2
    assert case.opened_at.year == 2016
    assert BlockOrder.objects.get(kind="block", case=case).names.count() == 11
