"""Beat polls the notices mailbox every NOTICES_IMAP_POLL_SECONDS (60 by default).

The schedule is always there; the task does nothing while NOTICES_IMAP_HOST is empty, so turning polling
on is a setting, not a migration. Administrators change the interval in the admin.
"""

from django.conf import settings
from django.db import migrations

NAME = "Poll the notices mailbox (IMAP) for replies, auto-replies and bounces"
TASK = "notices.poll_mailbox"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    seconds = max(10, int(getattr(settings, "NOTICES_IMAP_POLL_SECONDS", 60)))
    every, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
    PeriodicTask.objects.get_or_create(name=NAME, defaults={"task": TASK, "interval": every})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0003_inbound_mail_rebuttals_sanctions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
