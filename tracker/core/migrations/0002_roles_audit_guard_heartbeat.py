"""Create the role groups, forbid changing the audit trail in PostgreSQL, schedule the heartbeat.

Permissions are given to the groups by tracker.roles.sync_role_permissions after
every migrate, so that later apps' permissions reach the roles too.
"""

from django.db import migrations

ROLES = ["analyst", "liaison_officer", "supervisor", "auditor", "administrator", "isp"]

AUDIT_GUARD = """
CREATE OR REPLACE FUNCTION tracker_audit_entry_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tracker_auditentry_append_only
    BEFORE UPDATE OR DELETE ON tracker_auditentry
    FOR EACH ROW EXECUTE FUNCTION tracker_audit_entry_immutable();
"""
AUDIT_GUARD_REVERSE = """
DROP TRIGGER IF EXISTS tracker_auditentry_append_only ON tracker_auditentry;
DROP FUNCTION IF EXISTS tracker_audit_entry_immutable();
"""


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


def add_audit_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(AUDIT_GUARD, params=None)


def remove_audit_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(AUDIT_GUARD_REVERSE, params=None)


def schedule_heartbeat(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.get_or_create(
        name="Heartbeat (proves beat and a worker are alive)",
        defaults={"task": "tracker.heartbeat", "interval": every_minute},
    )


def unschedule_heartbeat(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task="tracker.heartbeat").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(create_roles, remove_roles),
        migrations.RunPython(add_audit_guard, remove_audit_guard),
        migrations.RunPython(schedule_heartbeat, unschedule_heartbeat),
    ]
