"""The audit trail's hash chain (tracker/core/audit_chain.py), and the database guard extended to evidence.

On PostgreSQL the audit trigger now lets through one update only: sealing an unsealed entry, with every
other column unchanged. Evidence and evidence files refuse UPDATE, DELETE and (to the role the tracker
runs as) TRUNCATE, as the audit trail does.
"""

from django.db import migrations, models

AUDIT_GUARD = """
CREATE OR REPLACE FUNCTION tracker_audit_entry_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seal IS NULL AND NEW.seal IS NOT NULL AND NEW.chain_hash <> ''
       AND (to_jsonb(OLD) - 'seal' - 'chain_hash') = (to_jsonb(NEW) - 'seal' - 'chain_hash') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
AUDIT_GUARD_REVERSE = """
CREATE OR REPLACE FUNCTION tracker_audit_entry_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
EVIDENCE_TABLES = ["tracker_evidence", "tracker_evidencefile"]
EVIDENCE_GUARD = """
CREATE OR REPLACE FUNCTION tracker_evidence_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;  -- test databases are emptied by the superuser that created them
    END IF;
    RAISE EXCEPTION 'evidence is never changed or deleted (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
EVIDENCE_TRIGGERS = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION tracker_evidence_immutable();
CREATE TRIGGER {table}_not_truncated BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION tracker_evidence_immutable();
"""
EVIDENCE_TRIGGERS_REVERSE = """
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP TRIGGER IF EXISTS {table}_not_truncated ON {table};
"""


def add_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(AUDIT_GUARD, params=None)
        schema_editor.execute(EVIDENCE_GUARD, params=None)
        for table in EVIDENCE_TABLES:
            schema_editor.execute(EVIDENCE_TRIGGERS.format(table=table), params=None)


def remove_guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in EVIDENCE_TABLES:
            schema_editor.execute(EVIDENCE_TRIGGERS_REVERSE.format(table=table), params=None)
        schema_editor.execute("DROP FUNCTION IF EXISTS tracker_evidence_immutable()", params=None)
        schema_editor.execute(AUDIT_GUARD_REVERSE, params=None)


def schedule_sealing(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.get_or_create(
        name="Seal the audit trail (anything not sealed after commit)",
        defaults={"task": "tracker.seal_audit_trail", "interval": every_minute},
    )


def unschedule_sealing(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task="tracker.seal_audit_trail").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0006_refuse_truncating_the_audit_trail"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="chain_hash",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="link hash"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="seal",
            field=models.BigIntegerField(blank=True, editable=False, null=True, unique=True, verbose_name="link number"),
        ),
        migrations.RunPython(add_guards, remove_guards),
        migrations.RunPython(schedule_sealing, unschedule_sealing),
    ]
