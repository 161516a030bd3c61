"""Two or more sweeps, duplicated tasks and concurrent senders on PostgreSQL: each step happens once."""

import threading
from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.db import connection

from notices import delivery, lapses, notifications, sending, tasks
from notices.models import Delivery, Notice
from tests.factories import make_user
from tests.factories_notices import case_with_items
from tests.services import require_postgresql

START = datetime.fromisoformat("2017-03-29T09:00:00+07:00")


def in_threads(count: int, work) -> list:
    """Run `work()` in `count` threads released together, each on its own database connection."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # any failure in a thread is reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_and_duplicate_tasks_send_each_step_once(monkeypatch):
    require_postgresql()
    # No broker here: the threads below play the workers the queued tasks would reach.
    monkeypatch.setattr(tasks, "_queue_advance", lambda ids: None)
    monkeypatch.setattr(delivery, "enqueue", lambda ids: None)
    monkeypatch.setattr(notifications, "_queue_notification_email", lambda pk: None)
    officer = make_user("liaison_officer")
    for _ in range(6):
        case, _items = case_with_items(count=2)
        sending.send_notice(case=case, actor=officer, now=START)
    first_round = set(Notice.objects.values_list("pk", flat=True))
    Delivery.objects.update(state=Delivery.State.SENT, next_attempt_at=None)  # the first notices went out
    due = START + timedelta(hours=4)

    claims = in_threads(4, lambda: tasks.run_sweep(now=due)["notices"])
    claimed = sorted(pk for claim in claims for pk in claim)
    assert claimed == sorted(first_round)  # every due notice handed out, none twice

    outcomes = in_threads(4, lambda: [lapses.advance_notice(notice_id=pk, now=due) for pk in sorted(first_round)])
    assert sorted(o for run in outcomes for o in run if o) == ["sent"] * 6
    follow_ups = Notice.objects.exclude(pk__in=first_round)
    assert follow_ups.count() == 6 and set(follow_ups.values_list("previous", flat=True)) == first_round

    notices = Delivery.objects.filter(kind=Delivery.Kind.NOTICE, state=Delivery.State.QUEUED)
    queued = list(notices.values_list("pk", flat=True))
    assert len(queued) == 6
    results = in_threads(4, lambda: [delivery.send_delivery(delivery_id=pk) for pk in queued])
    assert sorted(r for run in results for r in run if r != "skipped") == ["sent"] * 6
    assert len(mail.outbox) == 6
    assert len({message.extra_headers["Message-ID"] for message in mail.outbox}) == 6
