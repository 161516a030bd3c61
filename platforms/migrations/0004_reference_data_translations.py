"""Advisory reasons in English and Bahasa Indonesia (django-modeltranslation): the English name is the one
stored so far; the seeded reasons get their Indonesian names. Reversible: the columns go, the names stay."""

from django.db import migrations, models


INDONESIAN = {
    "data-routed-abroad": "Data dialirkan melalui server di luar negeri",
    "data-leakage": "Kebocoran data",
    "security-flaws": "Celah keamanan",
    "intrusion": "Rapat diganggu penyusup",
    "foreign-access": "Kemungkinan akses oleh negara asing",
    "spyware": "Kemungkinan perangkat pengintai (spyware)",
    "unlawful-content": "Konten yang melanggar hukum",
    "sovereignty": "Penggunaan perangkat dalam negeri yang tersertifikasi",
}


def fill(apps, schema_editor):
    AdvisoryReason = apps.get_model("platforms", "AdvisoryReason")
    for reason in AdvisoryReason.objects.all():
        reason.name_en = reason.name_en or reason.name
        reason.name_ind = reason.name_ind or INDONESIAN.get(reason.slug)
        reason.save(update_fields=["name_en", "name_ind"])


class Migration(migrations.Migration):
    dependencies = [
        ("platforms", "0003_advisory_reasons"),
    ]

    operations = [
        migrations.AddField(
            model_name="advisoryreason",
            name="name_en",
            field=models.CharField(max_length=100, null=True, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="advisoryreason",
            name="name_ind",
            field=models.CharField(max_length=100, null=True, verbose_name="name"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
