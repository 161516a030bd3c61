from celery import shared_task
from django.db import InterfaceError, OperationalError

from tracker.imports import services


@shared_task(
    name="tracker.run_item_import",
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=10,
    max_retries=6,
)
def run_item_import(import_id: int) -> None:
    """Queued when an import is created. Safe to run twice: the import claims each chunk it writes."""
    services.run_import(import_id)


@shared_task(name="tracker.requeue_stuck_imports", ignore_result=True)
def requeue_stuck_imports() -> list[int]:
    """Every minute from beat: queue again the imports whose task was lost or whose worker died."""
    return services.requeue_stuck_imports()
