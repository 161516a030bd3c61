"""Past notices beyond the ladder, late replies, and each case's contact log.

The contact log is append-only: the models refuse changes and deletions, and on PostgreSQL a trigger refuses
UPDATE, DELETE and (to the role the tracker runs as) TRUNCATE, as evidence's does (tracker.0007).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


CONTACT_LOG_TABLES = ["notices_contactentry", "notices_contactattachment"]
CONTACT_LOG_GUARD = """
CREATE OR REPLACE FUNCTION notices_contact_log_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;  -- test databases are emptied by the superuser that created them
    END IF;
    RAISE EXCEPTION 'the contact log is never changed or deleted: record a correction (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
CONTACT_LOG_TRIGGERS = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION notices_contact_log_immutable();
CREATE TRIGGER {table}_not_truncated BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION notices_contact_log_immutable();
"""
CONTACT_LOG_TRIGGERS_REVERSE = """
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
DROP TRIGGER IF EXISTS {table}_not_truncated ON {table};
"""


def add_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CONTACT_LOG_GUARD, params=None)
        for table in CONTACT_LOG_TABLES:
            schema_editor.execute(CONTACT_LOG_TRIGGERS.format(table=table), params=None)


def remove_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in CONTACT_LOG_TABLES:
            schema_editor.execute(CONTACT_LOG_TRIGGERS_REVERSE.format(table=table), params=None)
        schema_editor.execute("DROP FUNCTION IF EXISTS notices_contact_log_immutable()", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('notices', '0006_notification_of_changed_powers'),
        ('tracker', '0007_audit_chain_and_evidence_guard'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='notice',
            name='beyond_ladder',
            field=models.BooleanField(default=False, help_text="a past notice recorded after the ladder's notice steps ran out; it never escalates", verbose_name='extra, beyond the ladder'),
        ),
        migrations.AddField(
            model_name='platformreply',
            name='late',
            field=models.BooleanField(default=False, verbose_name='late: recorded after the notice lapsed'),
        ),
        migrations.CreateModel(
            name='ContactEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('meeting', 'meeting'), ('phone_call', 'phone call'), ('letter', 'letter'), ('public_statement', 'public statement by the platform'), ('email', 'email outside the tracker'), ('other', 'other contact')], max_length=20, verbose_name='kind')),
                ('occurred_at', models.DateTimeField(verbose_name='when it happened')),
                ('ministry_participants', models.JSONField(blank=True, default=list, verbose_name='from the ministry')),
                ('platform_participants', models.JSONField(blank=True, default=list, verbose_name='from the platform')),
                ('summary', models.TextField(verbose_name='summary')),
                ('recorded_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='recorded')),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='contact_entries', to='tracker.case')),
                ('corrects', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='corrections', to='notices.contactentry', verbose_name='corrects')),
                ('recorded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'contact log entry',
                'verbose_name_plural': 'contact log entries',
                'ordering': ['occurred_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='ContactAttachment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('original_name', models.CharField(max_length=255, verbose_name='file name')),
                ('file', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tracker.evidencefile')),
                ('entry', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attachments', to='notices.contactentry')),
            ],
            options={
                'ordering': ['entry', 'id'],
            },
        ),
        migrations.AddIndex(
            model_name='contactentry',
            index=models.Index(fields=['case', 'occurred_at'], name='contactentry_case'),
        ),
        migrations.RunPython(add_guard, remove_guard),
    ]
