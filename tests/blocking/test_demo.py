"""The demo tells the 2017 story: 11 Telegram names blocked on 14 July 2017 at 11:30 WIB, later lifted."""

import io
from datetime import UTC, datetime

import pytest

from blocking import demo
from blocking.models import BlocklistVersion, BlockOrder, OrderRecipient
from tests.factories import CaseFactory, PlatformFactory
from tracker.core import demo as demo_users

pytestmark = pytest.mark.django_db


def test_demo_loads_the_telegram_order_and_its_lift_once():
    CaseFactory(platform=PlatformFactory(name="Telegram", slug="telegram"), title="Telegram")
    out = io.StringIO()
    demo_users.load(out)
    demo.load(out)
    demo.load(out)  # safe to run twice
    block = BlockOrder.objects.get(kind=BlockOrder.Kind.BLOCK)
    assert block.effective_at == datetime(2017, 7, 14, 4, 30, tzinfo=UTC)  # 11:30 WIB
    assert block.names.count() == 11
    assert block.status == BlockOrder.Status.LIFTED
    assert block.approved_by.username == "supervisor2" and block.proposed_by.username == "supervisor"
    assert OrderRecipient.objects.filter(order=block).count() == 5
    assert OrderRecipient.objects.filter(order=block, implemented_at__isnull=False).count() == 3
    assert not OrderRecipient.objects.filter(next_action_at__isnull=False).exists()  # nothing to chase today
    assert [(v.serial, v.names_in_force) for v in BlocklistVersion.objects.order_by("serial")] == [(1, 11), (2, 0)]
