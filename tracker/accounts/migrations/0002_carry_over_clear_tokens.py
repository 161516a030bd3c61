"""Tokens issued before tokens were hashed (DRF's authtoken table, keys in clear) become named, hashed tokens
that expire in 90 days, so ISPs and scripts keep working through the upgrade; the clear keys are then dropped."""

import hashlib
from datetime import timedelta

from django.db import migrations
from django.utils import timezone


def carry_over(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id, created FROM authtoken_token")
        rows = cursor.fetchall()
    expires = timezone.now() + timedelta(days=90)
    ApiToken.objects.bulk_create(
        ApiToken(
            user_id=user_id,
            name="carried over from before tokens were hashed",
            prefix=key[:8],
            key_hash=hashlib.sha256(key.encode()).hexdigest(),
            created_at=created,
            expires_at=expires,
        )
        for key, user_id, created in rows
    )
    schema_editor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_tokens_and_role_grants")]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
