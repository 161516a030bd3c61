"""Telegram's page rules for content re-checks, and the re-check sweep every minute.

Telegram answers 200 for every t.me address: a channel or post that exists has a page title and an "open in
Telegram" link naming it (tg://resolve?domain=NAME); one withheld in the country says it "can't be displayed
because it violated local laws". Administrators change these in the admin.
"""

from django.db import migrations

TELEGRAM = {
    "geo_block_pattern": r"(?i)can(?:'|’|&#39;|&#039;)?t be displayed because it (?:has )?violated local laws",
    "identifier_pattern": r'(?s)class="tgme_page_title".{0,4000}?tg://resolve\?domain=([A-Za-z0-9_]{4,64})',
    "note": "Seeded: Telegram's public t.me pages (title and open-in-app link; the local-laws notice).",
}
SWEEP = ("Content re-checks: fetch what is due through the egress proxy", "notices.recheck_sweep", 60)


def seed(apps, schema_editor):
    Rule = apps.get_model("notices", "PlatformPageRule")
    Rule.objects.get_or_create(url_rules="telegram", defaults=TELEGRAM)
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    name, task, seconds = SWEEP
    every, _ = IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")
    PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": every})


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=SWEEP[1]).delete()
    apps.get_model("notices", "PlatformPageRule").objects.filter(url_rules="telegram", **TELEGRAM).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0010_content_rechecks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
