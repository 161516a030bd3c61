"""On PostgreSQL the audit trail refuses TRUNCATE too (migration 0002 refuses UPDATE and DELETE).

Only a database superuser may truncate it, who could drop the trigger anyway: the tracker must run as a role
that is not one (README, "Production"). Test databases are emptied by the superuser that created them.
"""

from django.db import migrations

TRUNCATE_GUARD = """
CREATE OR REPLACE FUNCTION tracker_audit_entry_not_truncated() RETURNS trigger AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tracker_auditentry_not_truncated
    BEFORE TRUNCATE ON tracker_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION tracker_audit_entry_not_truncated();
"""
TRUNCATE_GUARD_REVERSE = """
DROP TRIGGER IF EXISTS tracker_auditentry_not_truncated ON tracker_auditentry;
DROP FUNCTION IF EXISTS tracker_audit_entry_not_truncated();
"""


def add_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRUNCATE_GUARD, params=None)


def remove_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRUNCATE_GUARD_REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0005_administrators_are_not_superusers")]

    operations = [migrations.RunPython(add_guard, remove_guard)]
