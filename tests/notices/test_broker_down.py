"""Sending a notice while the queue (Redis) is down: the notice is committed with its delivery rows queued,
the API answers 202 saying the mail goes out when the queue is back (the sweep hands out queued deliveries),
and the page shows a message, not an error. Celery is pointed at a closed port, so the failure is real."""

import logging
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notices import delivery, sending
from notices.models import Delivery, Notice
from notices.sweep import sweep_lease
from tests.factories_notices import case_with_items
from tracker.core.actors import SWEEP

# Real commits: the queueing happens after commit, where the broker's failure used to become a 500.
pytestmark = pytest.mark.django_db(transaction=True)

CLOSED_PORT = "redis://127.0.0.1:1/0"


QUICK_FAILURE = {
    "broker_url": CLOSED_PORT,
    "broker_connection_timeout": 0.5,
    "task_publish_retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1},
}


@pytest.fixture
def broker_down():
    """The Celery app talks to a port where nothing listens, with short timeouts and one quick retry."""
    from tracker.conf.celery import app

    def forget_connections():
        # The app keeps its connection and producer pools: let go of them so the next publish connects anew
        # (kombu keeps each pool by its URL, so the real broker's are found again afterwards).
        app._pool = None
        if "amqp" in app.__dict__:
            app.amqp._producer_pool = None

    saved = {key: app.conf.get(key) for key in QUICK_FAILURE}
    forget_connections()
    app.conf.update(QUICK_FAILURE)
    yield
    app.conf.update(saved)
    forget_connections()


def test_the_api_sends_a_notice_with_the_queue_down_and_answers_202(api_client, liaison_officer, broker_down, caplog):
    case, _items = case_with_items(count=1, contacts=2)
    api_client.force_authenticate(liaison_officer)
    with caplog.at_level(logging.WARNING, logger="notices.delivery"):
        response = api_client.post("/api/v1/notices/", {"case": case.pk}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "sent" and "queue" in body["message"] and "sweep" in body["message"]
    notice = Notice.objects.get()
    assert notice.status == Notice.Status.SENT
    queued = list(Delivery.objects.filter(notice=notice).values_list("state", flat=True))
    assert queued == [Delivery.State.QUEUED, Delivery.State.QUEUED]
    assert any("queue" in record.getMessage() for record in caplog.records)


def test_the_sweep_hands_the_queued_deliveries_out_again_after_their_lease(liaison_officer, broker_down):
    case, _items = case_with_items(count=1)
    notice = sending.send_notice(case=case, actor=liaison_officer)
    assert notice.mail_queued is False
    queued = notice.deliveries.get()
    assert queued.state == Delivery.State.QUEUED and queued.next_attempt_at is not None
    later = timezone.now() + sweep_lease() + timedelta(seconds=1)
    assert delivery.claim_stale_deliveries(now=later) == [queued.pk]


def test_the_page_says_the_mail_waits_for_the_queue(client, liaison_officer, broker_down):
    case, items = case_with_items(count=1)
    client.force_login(liaison_officer)
    response = client.post(
        reverse("notices-case-send", args=[case.pk]), {"items": [items[0].pk], "send": "1"}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "when the queue is back" in page and Notice.objects.get().reference in page
    assert Delivery.objects.get().state == Delivery.State.QUEUED


def test_confirming_a_prepared_notice_with_the_queue_down_answers_202(api_client, liaison_officer, broker_down):
    case, _items = case_with_items(count=1)
    prepared = sending.prepare_notice(case=case, actor=SWEEP)
    api_client.force_authenticate(liaison_officer)
    response = api_client.post(f"/api/v1/notices/{prepared.pk}/confirm/")
    assert response.status_code == 202 and response.json()["status"] == "sent"
    assert Delivery.objects.get().state == Delivery.State.QUEUED


def test_enqueue_says_whether_it_queued(broker_down):
    assert delivery.enqueue([]) is True
    assert delivery.enqueue([999999]) is False
