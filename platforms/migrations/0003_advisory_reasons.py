"""Seed the managed list of reasons governments give for restricting a platform (reversible)."""

from django.db import migrations

REASONS = [
    ("data-routed-abroad", "Data routed through servers abroad"),
    ("data-leakage", "Data leakage"),
    ("security-flaws", "Security flaws"),
    ("intrusion", "Meetings disrupted by intruders"),
    ("foreign-access", "Possible access by a foreign state"),
    ("spyware", "Possible spyware"),
    ("unlawful-content", "Unlawful content"),
    ("sovereignty", "Use of domestic, certified tools"),
]


def seed(apps, schema_editor):
    AdvisoryReason = apps.get_model("platforms", "AdvisoryReason")
    for slug, name in REASONS:
        AdvisoryReason.objects.get_or_create(slug=slug, defaults={"name": name})


def unseed(apps, schema_editor):
    apps.get_model("platforms", "AdvisoryReason").objects.filter(
        slug__in=[slug for slug, _ in REASONS], advisories__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("platforms", "0002_url_rules_and_advisories")]

    operations = [migrations.RunPython(seed, unseed)]
