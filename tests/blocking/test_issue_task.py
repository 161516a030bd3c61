"""A real Celery worker issues an approved order at its effective time and mails each ISP."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings

from blocking import services
from blocking.models import BlockOrder, OrderRecipient
from notices.delivery import deliveries_about
from notices.models import Delivery
from tests.conftest import wait_for
from tests.factories import PASSWORD, second_factor_code
from tests.factories_blocking import ISPFactory, order_awaiting_approval

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_approval_queues_the_issue_for_the_effective_time(celery_worker_process, make_user):
    proposer, approver = make_user("supervisor"), make_user("supervisor")
    ISPFactory(contact_email="noc@indosat.example")
    order = order_awaiting_approval(proposer=proposer, names="t.me", effective_in=timedelta(seconds=4))
    services.approve_order(
        order=order, actor=approver, password=PASSWORD, otp_code=second_factor_code(approver)
    )  # on commit: task with eta
    order.refresh_from_db()
    assert order.status == BlockOrder.Status.APPROVED
    wait_for(
        lambda: BlockOrder.objects.filter(pk=order.pk, status=BlockOrder.Status.IN_FORCE).exists(),
        message="the worker to issue the order",
    )
    order.refresh_from_db()
    assert order.issued_at >= order.effective_at
    wait_for(
        lambda: (
            deliveries_about(OrderRecipient, order.recipients.values_list("pk", flat=True))
            .filter(state=Delivery.State.SENT)
            .exists()
        ),
        message="the order mail",
    )
    sent = [path.read_text() for path in Path(settings.EMAIL_FILE_PATH).glob("*.log")]
    assert any("noc@indosat.example" in text and order.reference in text for text in sent)
