"""A real Celery worker sends notices to a real SMTP server on loopback: queued only after commit, sent once
however often the task is delivered, and handed out again by the sweep when its task was lost."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notices import delivery, sending, tasks
from notices.models import Delivery
from tests.conftest import wait_for
from tests.factories_notices import case_with_items
from tests.notices.test_smtp_delivery import Mailbox, free_port, use_smtp

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def smtp_for_worker(request, settings, monkeypatch):
    """An aiosmtpd server, and EMAIL_URL pointing at it for the worker process started after it."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setenv("EMAIL_URL", f"smtp://127.0.0.1:{controller.port}")
    use_smtp(settings, controller.port)
    request.getfixturevalue("celery_worker_process")
    yield mailbox
    controller.stop()


def sent(mailbox: Mailbox, message_id: str) -> int:
    return sum(message_id.encode() in envelope.content for envelope in mailbox.envelopes)


def test_the_worker_sends_once_after_commit_despite_a_duplicate_task_and_the_sweep_resends_a_lost_one(
    smtp_for_worker, liaison_officer
):
    case, _items = case_with_items(count=2)
    notice = sending.send_notice(case=case, actor=liaison_officer)  # autocommit: queued on commit
    queued = notice.deliveries.get()
    tasks.send_delivery.delay(queued.pk)  # a duplicate, as a broker redelivering after a restart would
    wait_for(
        lambda: Delivery.objects.filter(pk=queued.pk, state=Delivery.State.SENT).exists(),
        message="the worker to send the notice",
    )
    queued.refresh_from_db()
    assert "250 2.0.0 Ok: queued as 4F1A2B" in queued.server_reply and queued.accepted_at is not None
    wait_for(lambda: queued.attempts_made.count() >= 1, message="the attempt record")
    assert sent(smtp_for_worker, queued.message_id) == 1
    assert queued.attempts_made.count() == 1

    # One worker start serves both stories (a start costs seconds): next, a delivery whose task was lost.
    # A second notice whose task never reached the broker (Redis lost it): only the sweep can find it.
    case2, _items2 = case_with_items(count=1, contacts=0, platform=case.platform)  # same contact
    lost = sending.prepare_notice(case=case2, actor=liaison_officer)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(delivery, "enqueue", lambda ids: None)
        sending.confirm_prepared_notice(notice=lost, actor=liaison_officer)
    stranded = lost.deliveries.get()
    assert stranded.state == Delivery.State.QUEUED
    handed_out = tasks.run_sweep(now=(stranded.next_attempt_at or timezone.now()) + timedelta(seconds=1))
    assert stranded.pk in handed_out["deliveries"]
    wait_for(
        lambda: Delivery.objects.filter(pk=stranded.pk, state=Delivery.State.SENT).exists(),
        message="the sweep's retry to be sent",
    )
    assert sent(smtp_for_worker, stranded.message_id) == 1
