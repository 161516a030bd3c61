"""Ladders and steps named in English and Bahasa Indonesia (django-modeltranslation): the English name is the one
stored so far; the default ladder's steps get their Indonesian names. Reversible: the columns go, the names stay."""

from django.db import migrations, models


INDONESIAN = {
    "Default ladder": "Jenjang eskalasi bawaan",
    "First notice": "Pemberitahuan pertama",
    "Reminder": "Pengingat",
    "Second reminder": "Pengingat kedua",
    "Second warning": "Peringatan kedua",
    "Final warning": "Peringatan terakhir",
    "Block proposal": "Usulan pemblokiran",
}


def fill(apps, schema_editor):
    for model in ("EscalationPolicy", "EscalationStep"):
        for row in apps.get_model("notices", model).objects.all():
            row.name_en = row.name_en or row.name
            row.name_ind = row.name_ind or INDONESIAN.get(row.name_en)
            row.save(update_fields=["name_en", "name_ind"])


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0008_list_keyset_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="escalationpolicy",
            name="name_en",
            field=models.CharField(max_length=150, null=True, unique=True, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="escalationpolicy",
            name="name_ind",
            field=models.CharField(max_length=150, null=True, unique=True, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="escalationstep",
            name="name_en",
            field=models.CharField(max_length=150, null=True, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="escalationstep",
            name="name_ind",
            field=models.CharField(max_length=150, null=True, verbose_name="name"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
