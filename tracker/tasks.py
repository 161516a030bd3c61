from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from tracker.imports.services import run_import
from tracker.models import Heartbeat


@shared_task(name="tracker.heartbeat", ignore_result=True)
def heartbeat(component: str = "beat") -> None:
    """Stamp that beat scheduled this and a worker ran it (read by /healthz)."""
    Heartbeat.objects.update_or_create(component=component, defaults={"seen_at": timezone.now()})


@shared_task(
    name="tracker.run_item_import",
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=10,
    max_retries=6,
)
def run_item_import(import_id: int) -> None:
    """Queued when an import is created. Safe to run twice: the import claims each chunk it writes."""
    run_import(import_id)
