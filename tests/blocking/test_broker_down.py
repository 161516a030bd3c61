"""Approving an order or asking for a compliance check while the queue (Redis) is down: the change is saved and
answered, never a 500; the sweep issues the order at its time and the checks run on their schedule."""

import logging

import pytest

from blocking.models import BlockOrder
from tests.factories import PASSWORD, second_factor_code
from tests.factories_blocking import ISPFactory, order_awaiting_approval, order_in_force
from tests.notices.test_broker_down import broker_down  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_approval_with_the_queue_down_is_saved_and_answered(api_client, make_user, broker_down, caplog):  # noqa: F811
    order = order_awaiting_approval(proposer=make_user("supervisor"))
    approver = make_user("supervisor")
    api_client.force_authenticate(approver)
    body = {"password": PASSWORD, "otp_code": second_factor_code(approver)}
    with caplog.at_level(logging.WARNING, logger="tracker.core.queueing"):
        answer = api_client.post(f"/api/v1/block-orders/{order.pk}/approve/", body, format="json")
    assert answer.status_code == 200, answer.content
    assert BlockOrder.objects.get(pk=order.pk).status == BlockOrder.Status.APPROVED
    assert "waits for its sweep" in caplog.text


def test_a_check_asked_for_with_the_queue_down_is_answered(api_client, make_user, broker_down):  # noqa: F811
    supervisor = make_user("supervisor")
    isp = ISPFactory(resolver_addresses="127.0.0.1:53")
    order = order_in_force(proposer=make_user("supervisor"), approver=make_user("supervisor"), isps=[isp])
    api_client.force_authenticate(supervisor)
    answer = api_client.post(f"/api/v1/block-orders/{order.pk}/compliance/check/", {}, format="json")
    assert answer.status_code == 202, answer.content
