"""Schedule the blocking sweep (issue due orders, end expired ones, chase late ISPs) and compliance checks."""

from django.db import migrations

TASKS = [
    ("Blocking sweep: issue due orders, end expired ones, remind and escalate late ISPs", "blocking.sweep", 60),
    ("Compliance check of ISP resolvers", "blocking.check_compliance", 6 * 3600),
]


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, seconds in TASKS:
        every, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": every})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task__in=[t for _, t, _ in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("blocking", "0002_isps_orders_blocklist"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
