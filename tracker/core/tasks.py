from celery import shared_task
from django.utils import timezone

from tracker.core import audit_chain
from tracker.core.models import Heartbeat


@shared_task(name="tracker.heartbeat", ignore_result=True)
def heartbeat(component: str = "beat") -> None:
    """Stamp that beat scheduled this and a worker ran it (read by /healthz)."""
    Heartbeat.objects.update_or_create(component=component, defaults={"seen_at": timezone.now()})


@shared_task(name="tracker.seal_audit_trail", ignore_result=True)
def seal_audit_trail() -> None:
    """Seal audit entries a committed transaction left unsealed (its after-commit seal failed or was cut off)."""
    audit_chain.seal_pending()
