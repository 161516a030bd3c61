"""Stuck imports are handed out again: one queued while Redis was down, and one whose worker died mid-run.

A queued import holds a lease until IMPORT_QUEUED_SECONDS after it was queued; a running one holds it until
IMPORT_LEASE_SECONDS after it last committed a chunk. The sweep (`tracker.requeue_stuck_imports`, every minute
from beat) queues again every import whose lease ran out, and the import resumes after its last committed chunk.
"""

import os
import signal
import subprocess
import sys
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count
from django.utils import timezone

from tests.conftest import ROOT, _database_url, wait_for
from tests.factories_imports import mixed_urls, platforms
from tests.factories_imports import terrorism as seeded_terrorism
from tests.services import require_postgresql, require_redis
from tracker.conf.celery import app
from tracker.core.models import AuditEntry
from tracker.imports import services, tasks
from tracker.imports.models import ImportRejection, ItemImport
from tracker.items.models import FlaggedItem, Sighting

Status = ItemImport.Status
CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: every connection is refused


class WorkerKilled(BaseException):
    """What a worker dying mid-chunk looks like to the code: nothing after it runs."""


@pytest.fixture
def queued(monkeypatch):
    """The import ids handed to the broker, instead of the broker."""
    ids = []
    monkeypatch.setattr("tracker.imports.tasks.run_item_import.delay", ids.append)
    return ids


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """The sweep, with what it queues after commit queued (a test's transaction never commits)."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return services.requeue_stuck_imports(**kwargs)

    return run


def start(actor, text: str) -> ItemImport:
    return services.create_import(actor=actor, text=text, default_category=seeded_terrorism(), default_source="patrol")


def requeued_events(item_import) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(ItemImport),
            object_id=str(item_import.pk),
            action=AuditEntry.Action.EVENT,
        )
    )


@contextmanager
def broker_unreachable(monkeypatch):
    """This process publishes to a closed port (the workers keep the real broker), as when Redis is down."""
    with monkeypatch.context() as patch:
        patch.setattr(app.conf, "broker_url", CLOSED_PORT_BROKER)
        patch.setattr(app, "_pool", None)
        patch.setattr(app.amqp, "_producer_pool", None)
        yield


# --- the sweep, without a worker -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_is_scheduled_every_minute():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="tracker.requeue_stuck_imports")
    assert (task.interval.every, task.interval.period, task.enabled) == (60, "seconds", True)


@pytest.mark.django_db
def test_an_import_queued_longer_than_the_grace_is_queued_again_once(analyst, queued, sweep, settings):
    platforms()
    settings.IMPORT_QUEUED_SECONDS = 300
    with time_machine.travel(timezone.now(), tick=False) as clock:
        item_import = start(analyst, "https://t.me/channel_one")  # its message is lost: nothing ran it
        queued.clear()
        clock.shift(timedelta(seconds=299))
        assert sweep() == []
        clock.shift(timedelta(seconds=1))
        assert sweep() == [item_import.pk]
        assert sweep() == []  # run again at the same instant: nothing more
        assert queued == [item_import.pk]
        item_import.refresh_from_db()
        assert item_import.status == Status.QUEUED
        assert item_import.lease_until == timezone.now() + timedelta(seconds=300)
    (event,) = requeued_events(item_import)
    assert event.actor is None and event.actor_label == "bulk import"
    assert "no worker started it" in event.reason


@pytest.mark.django_db
def test_a_running_import_renews_its_lease_as_chunks_commit(analyst, queued, settings, monkeypatch):
    platforms()
    settings.IMPORT_CHUNK_ROWS, settings.IMPORT_LEASE_SECONDS = 10, 120
    item_import = start(analyst, "\n".join(mixed_urls(30)))
    real_write = services._write_chunk
    chunks = []

    with time_machine.travel(timezone.now(), tick=False) as clock:
        began = timezone.now()

        def slow_chunks_then_death(context, valid, rejected):
            chunks.append(1)
            clock.shift(timedelta(seconds=60))
            if len(chunks) == 3:
                raise WorkerKilled  # the third chunk's transaction is rolled back
            return real_write(context, valid, rejected)

        monkeypatch.setattr(services, "_write_chunk", slow_chunks_then_death)
        with pytest.raises(WorkerKilled):
            services.run_import(item_import.pk)
    item_import.refresh_from_db()
    assert (item_import.status, item_import.processed_rows) == (Status.RUNNING, 20)
    # The second chunk committed at began + 60 s, and renewed the lease from then.
    assert item_import.lease_until == began + timedelta(seconds=60 + 120)


@pytest.mark.django_db
def test_a_running_import_whose_lease_ran_out_is_queued_again_and_resumes_exactly(
    analyst, queued, sweep, settings, monkeypatch
):
    platforms()
    settings.IMPORT_CHUNK_ROWS = 10
    urls = mixed_urls(30)
    item_import = start(analyst, "\n".join([*urls, *urls[:5], "javascript:void(0)"]))  # 36 rows
    real_write = services._write_chunk
    chunks = []

    def dies_in_the_third_chunk(context, valid, rejected):
        chunks.append(1)
        if len(chunks) == 3:
            raise WorkerKilled
        return real_write(context, valid, rejected)

    monkeypatch.setattr(services, "_write_chunk", dies_in_the_third_chunk)
    with pytest.raises(WorkerKilled):
        services.run_import(item_import.pk)
    monkeypatch.setattr(services, "_write_chunk", real_write)
    item_import.refresh_from_db()
    queued.clear()

    one_second = timedelta(seconds=1)
    assert sweep(now=item_import.lease_until - one_second) == []
    assert sweep(now=item_import.lease_until) == [item_import.pk]
    assert queued == [item_import.pk]
    assert "stopped renewing its lease" in requeued_events(item_import)[0].reason

    done = services.run_import(item_import.pk)  # what the queued task does
    assert done.status == Status.DONE and done.lease_until is None
    assert (done.processed_rows, done.imported_count, done.merged_count, done.rejected_count) == (36, 30, 5, 1)
    assert (FlaggedItem.objects.count(), Sighting.objects.count(), ImportRejection.objects.count()) == (30, 35, 1)
    assert sweep(now=timezone.now() + timedelta(days=1)) == []


@pytest.mark.django_db
def test_done_and_failed_imports_are_never_queued_again(analyst, queued, sweep):
    platforms()
    done = start(analyst, "https://t.me/channel_one")
    services.run_import(done.pk)
    failed = start(analyst, "https://t.me/channel_two")
    (Path(settings.VAR_DIR) / failed.stored_path).unlink()
    with pytest.raises(FileNotFoundError):
        services.run_import(failed.pk)
    assert set(ItemImport.objects.values_list("status", flat=True)) == {Status.DONE, Status.FAILED}
    assert set(ItemImport.objects.values_list("lease_until", flat=True)) == {None}
    assert sweep(now=timezone.now() + timedelta(days=1)) == []


@pytest.mark.django_db
def test_an_import_created_while_the_broker_is_down_is_accepted_and_stays_queued(
    api_client, analyst, monkeypatch, django_capture_on_commit_callbacks
):
    platforms()
    seeded_terrorism()
    api_client.force_authenticate(analyst)
    with broker_unreachable(monkeypatch), django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/v1/item-imports/",
            {"text": "https://t.me/channel_one", "category": "terrorism", "source": "patrol"},
            format="json",
        )
    assert response.status_code == 202, response.content
    assert ItemImport.objects.get().status == Status.QUEUED


# --- real workers ------------------------------------------------------------------------------------------


@contextmanager
def worker_process(**environment):
    """A real `celery worker` on the real broker and this test's database, with `environment` on top: a
    process of our own, so the test can kill it."""
    require_postgresql()
    require_redis()
    node = f"stuck-{uuid.uuid4().hex[:8]}@localhost"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "CELERY_MAIL_QUEUE": settings.CELERY_MAIL_QUEUE,
        **environment,
    }
    log = open(Path(settings.VAR_DIR) / f"{node}.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tracker.conf", "worker", "--pool", "solo", "--hostname", node,
         "--queues", f"{settings.CELERY_TASK_DEFAULT_QUEUE},{settings.CELERY_MAIL_QUEUE}",
         "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(
            lambda: process.poll() is not None or app.control.ping(destination=[node], timeout=0.5),
            timeout=60,
            message="the Celery worker to start",
        )
        assert process.poll() is None, Path(log.name).read_text()[-3000:]
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def finished(item_import) -> ItemImport:
    wait_for(
        lambda: ItemImport.objects.filter(pk=item_import.pk, status__in=[Status.DONE, Status.FAILED]).exists(),
        timeout=60,
        message="a worker to finish the import",
    )
    item_import.refresh_from_db()
    assert item_import.status == Status.DONE, item_import.error
    return item_import


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_leaves_it_to_the_sweep_and_another_worker_finishes_it_exactly(analyst):
    platforms()
    urls = mixed_urls(300)
    rows = [*urls, *urls[:30], "javascript:alert(1)"]  # 331 rows: 300 items, 30 sightings more, 1 rejected
    slow = {"IMPORT_CHUNK_ROWS": "20", "IMPORT_CHUNK_PAUSE_SECONDS": "0.2"}  # 17 chunks, over three seconds
    with worker_process(**slow) as first:
        item_import = start(analyst, "\n".join(rows))
        wait_for(
            lambda: ItemImport.objects.filter(pk=item_import.pk, processed_rows__gte=60).exists(),
            message="the first worker to commit a few chunks",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    item_import.refresh_from_db()
    assert item_import.status == Status.RUNNING
    assert 60 <= item_import.processed_rows < 331
    assert tasks.requeue_stuck_imports() == []  # its lease has not run out yet

    with worker_process() as second:
        with time_machine.travel(item_import.lease_until + timedelta(seconds=1)):
            assert tasks.requeue_stuck_imports() == [item_import.pk]  # the task, called directly
        item_import = finished(item_import)
        assert second.poll() is None
    assert (item_import.processed_rows, item_import.total_rows) == (331, 331)
    assert (item_import.imported_count, item_import.merged_count, item_import.rejected_count) == (300, 30, 1)
    assert FlaggedItem.objects.count() == 300
    assert Sighting.objects.count() == 330
    assert not Sighting.objects.values("item_id", "entered_as").annotate(n=Count("id")).filter(n__gt=2).exists()
    assert set(FlaggedItem.objects.values_list("sighting_count", flat=True)) == {1, 2}
    assert ImportRejection.objects.filter(item_import=item_import).count() == 1
    assert AuditEntry.objects.filter(action="create", reason__contains="imported by").count() == 300


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_import_created_while_the_broker_is_down_is_queued_again_by_the_sweep_and_done(analyst, monkeypatch):
    platforms()
    with worker_process():
        with broker_unreachable(monkeypatch):
            item_import = start(analyst, "\n".join(mixed_urls(50)))  # saved; its task could not be queued
        item_import.refresh_from_db()
        assert item_import.status == Status.QUEUED
        with time_machine.travel(item_import.lease_until + timedelta(seconds=1)):
            assert tasks.requeue_stuck_imports() == [item_import.pk]
        item_import = finished(item_import)
    assert (item_import.imported_count, item_import.merged_count, item_import.rejected_count) == (50, 0, 0)
    assert Sighting.objects.count() == 50
