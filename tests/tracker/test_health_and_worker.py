import pytest
from django.urls import reverse

from tests.conftest import wait_for
from tracker.core.models import Heartbeat
from tracker.core.tasks import heartbeat

pytestmark = pytest.mark.worker


def test_a_real_worker_consumes_a_task_from_redis_and_writes_to_the_database(celery_worker_process):
    heartbeat.delay("beat")
    stamp = wait_for(lambda: Heartbeat.objects.filter(component="beat").first(), message="the worker's heartbeat")
    assert stamp.seen_at is not None


def test_healthz_is_ok_when_database_broker_worker_and_beat_are_up(client, celery_worker_process):
    heartbeat.delay("beat")
    wait_for(lambda: Heartbeat.objects.filter(component="beat").exists(), message="the worker's heartbeat")
    response = client.get(reverse("healthz"))
    assert response.status_code == 200, response.json()
    assert all(check["ok"] for check in response.json()["checks"].values())


@pytest.mark.django_db
def test_healthz_names_what_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] is True
    assert checks["broker"]["ok"] is False and checks["worker"]["detail"] == "broker unavailable"
    assert checks["beat"] == {"ok": False, "detail": "no heartbeat yet"}
