from celery import shared_task
from django.utils import timezone

from tracker.core.models import Heartbeat


@shared_task(name="tracker.heartbeat", ignore_result=True)
def heartbeat(component: str = "beat") -> None:
    """Stamp that beat scheduled this and a worker ran it (read by /healthz)."""
    Heartbeat.objects.update_or_create(component=component, defaults={"seen_at": timezone.now()})
