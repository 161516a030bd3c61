"""Imports hold a lease while queued or running, and beat queues again those whose lease ran out.

An import queued while Redis was down, or running when its worker died, used to wait forever (or for the
broker's hour-long redelivery). `lease_until` says until when a task is trusted to be on it; the task
`tracker.requeue_stuck_imports`, every minute, queues the others again (tracker/imports/services.py).
Imports queued or running at upgrade get a lease that runs out at once: a second run of a live one finds its
chunks claimed and stops.
"""

from django.db import migrations, models
from django.utils import timezone

TASK = "tracker.requeue_stuck_imports"


def lease_unfinished_imports(apps, schema_editor):
    ItemImport = apps.get_model("tracker", "ItemImport")
    ItemImport.objects.filter(status__in=["queued", "running"], lease_until__isnull=True).update(
        lease_until=timezone.now()
    )


def schedule_requeueing(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.get_or_create(
        name="Queue again the imports no worker is running (lost with Redis, or their worker died)",
        defaults={"task": TASK, "interval": every_minute},
    )


def unschedule_requeueing(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0007_audit_chain_and_evidence_guard"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="itemimport",
            name="lease_until",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="itemimport",
            index=models.Index(
                condition=models.Q(("status__in", ["queued", "running"])),
                fields=["lease_until"],
                name="itemimport_lease_due",
            ),
        ),
        migrations.RunPython(lease_unfinished_imports, migrations.RunPython.noop),
        migrations.RunPython(schedule_requeueing, unschedule_requeueing),
    ]
