"""Administrators stop being Django superusers: a superuser passes every permission check, so an administrator
could draft, submit and approve a block order alone. They keep staff status (the admin site) and the role's
own permissions: people, roles and reference data. A break-glass superuser is no one's by default."""

from django.db import migrations


def revoke_superuser(apps, schema_editor):
    User = apps.get_model("tracker", "User")
    User.objects.filter(is_superuser=True, groups__name="administrator").update(is_superuser=False, is_staff=True)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0004_categories_and_text_search"), ("auth", "0012_alter_user_first_name_max_length")]

    # Not reversed: granting superuser status again is a decision for a person, not a migration.
    operations = [migrations.RunPython(revoke_superuser, migrations.RunPython.noop)]
