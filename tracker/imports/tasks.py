from celery import shared_task
from django.db import InterfaceError, OperationalError

from tracker.imports.services import run_import


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
