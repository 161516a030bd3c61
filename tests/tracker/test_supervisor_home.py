"""A supervisor's home: the block proposals to decide, the orders another supervisor proposed for them to
approve, and the rebuttals waiting for a decision; none of it for those who may not act on it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from blocking import services as blocking_services
from notices import rebuttals, sending
from tests.factories_blocking import order_awaiting_approval
from tests.factories_notices import case_with_items
from tracker.core.actors import SWEEP

pytestmark = pytest.mark.django_db


def test_a_supervisor_sees_proposals_orders_to_approve_and_rebuttals(client, make_user, liaison_officer):
    proposer, approver = make_user("supervisor"), make_user("supervisor")
    case, items = case_with_items(count=1)
    blocking_services.propose_block(case=case, reason="the ladder ran out", actor=SWEEP)
    order = order_awaiting_approval(proposer=proposer, names="t.me", effective_in=timedelta(days=1))
    notice = sending.send_notice(case=case, actor=liaison_officer)
    rebuttals.record_rebuttal(
        notice_item=notice.notice_items.get(),
        actor=liaison_officer,
        received_at=timezone.now(),
        reasons="Satire.",
    )

    client.force_login(approver)
    page = client.get(reverse("home")).content.decode()
    assert 'id="home-proposals"' in page and case.title[:40] in page
    assert order.reference in page.split('id="home-awaiting-approval"')[1]
    assert items[0].display[:40] in page.split('id="home-rebuttals"')[1]

    client.force_login(proposer)  # never their own order to approve
    page = client.get(reverse("home")).content.decode()
    assert order.reference not in page.split('id="home-awaiting-approval"')[1]


def test_a_liaison_officer_sees_no_supervisor_panel(client, liaison_officer):
    client.force_login(liaison_officer)
    page = client.get(reverse("home")).content.decode()
    assert 'id="supervisor-desk"' not in page and 'id="home-rebuttals"' not in page
