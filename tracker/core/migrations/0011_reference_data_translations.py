"""Categories named, and their legal bases cited, in English and Bahasa Indonesia (django-modeltranslation): the
English text is the one stored so far; the seeded categories get their Indonesian names and legal bases.
Reversible: the columns go, the English text stays."""

from django.db import migrations, models


UU_ITE = (
    "UU No. 11 Tahun 2008 tentang Informasi dan Transaksi Elektronik, sebagaimana diubah dengan UU No. 19 Tahun 2016"
)
INDONESIAN = {
    "terrorism": (
        "Terorisme",
        "UU No. 5 Tahun 2018 tentang Perubahan atas UU No. 15 Tahun 2003 tentang Pemberantasan Tindak Pidana "
        "Terorisme; " + UU_ITE,
    ),
    "radicalism": (
        "Radikalisme",
        UU_ITE + ", Pasal 28 ayat (2); UU No. 5 Tahun 2018 tentang Pemberantasan Tindak Pidana Terorisme",
    ),
    "child-sexual-abuse": (
        "Materi kekerasan seksual terhadap anak",
        "UU No. 44 Tahun 2008 tentang Pornografi, Pasal 4 ayat (1) huruf f dan Pasal 11; UU No. 35 Tahun 2014 "
        "tentang Perlindungan Anak",
    ),
    "online-gambling": ("Perjudian daring", UU_ITE + ", Pasal 27 ayat (2); KUHP Pasal 303"),
    "pornography": (
        "Pornografi",
        "UU No. 44 Tahun 2008 tentang Pornografi, Pasal 4; " + UU_ITE + ", Pasal 27 ayat (1)",
    ),
    "fraud": ("Penipuan", UU_ITE + ", Pasal 28 ayat (1)"),
    "disinformation": ("Disinformasi", UU_ITE + ", Pasal 28 ayat (1); UU No. 1 Tahun 1946, Pasal 14-15"),
    "hate-speech": ("Ujaran kebencian", UU_ITE + ", Pasal 28 ayat (2)"),
    "narcotics": ("Narkotika", "UU No. 35 Tahun 2009 tentang Narkotika"),
}


def fill(apps, schema_editor):
    for category in apps.get_model("tracker", "Category").objects.all():
        category.name_en = category.name_en or category.name
        category.legal_basis_en = category.legal_basis_en or category.legal_basis
        name, legal_basis = INDONESIAN.get(category.slug, (None, None))
        category.name_ind = category.name_ind or name
        category.legal_basis_ind = category.legal_basis_ind or legal_basis
        category.save(update_fields=["name_en", "legal_basis_en", "name_ind", "legal_basis_ind"])


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0010_import_raised_urgency"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="legal_basis_en",
            field=models.TextField(null=True, verbose_name="legal basis"),
        ),
        migrations.AddField(
            model_name="category",
            name="legal_basis_ind",
            field=models.TextField(null=True, verbose_name="legal basis"),
        ),
        migrations.AddField(
            model_name="category",
            name="name_en",
            field=models.CharField(max_length=100, null=True, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="category",
            name="name_ind",
            field=models.CharField(max_length=100, null=True, verbose_name="name"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
