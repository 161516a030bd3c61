"""Seed the managed list of categories, and index item text search on PostgreSQL.

Categories are reference data an administrator manages afterwards; the seed is only
the starting list. The trigram indexes serve the item filter `q` (icontains on the
canonical form and the description), which Django compiles to UPPER(col) LIKE
UPPER(%s) on PostgreSQL; without them a text search scans every item.
"""

from django.db import migrations

EIT = "Law 11/2008 on Electronic Information and Transactions, as amended by Law 19/2016"
CATEGORIES = [
    ("terrorism", "Terrorism", "Law 5/2018 amending Law 15/2003 on the eradication of terrorism; " + EIT, "urgent"),
    ("radicalism", "Radicalism", EIT + ", art. 28(2); Law 5/2018 on the eradication of terrorism", "urgent"),
    (
        "child-sexual-abuse",
        "Child sexual abuse material",
        "Law 44/2008 on pornography, art. 4(1)(f) and 11; Law 35/2014 on child protection",
        "urgent",
    ),
    ("online-gambling", "Online gambling", EIT + ", art. 27(2); Penal Code art. 303", "normal"),
    ("pornography", "Pornography", "Law 44/2008 on pornography, art. 4; " + EIT + ", art. 27(1)", "normal"),
    ("fraud", "Fraud", EIT + ", art. 28(1)", "normal"),
    ("disinformation", "Disinformation", EIT + ", art. 28(1); Law 1/1946, art. 14-15", "normal"),
    ("hate-speech", "Hate speech", EIT + ", art. 28(2)", "normal"),
    ("narcotics", "Illegal drugs", "Law 35/2009 on narcotics", "normal"),
]

TEXT_SEARCH = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS item_canonical_trgm ON tracker_flaggeditem USING gin (UPPER(canonical) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS item_description_trgm ON tracker_flaggeditem USING gin (UPPER(description) gin_trgm_ops);
"""
TEXT_SEARCH_REVERSE = """
DROP INDEX IF EXISTS item_canonical_trgm;
DROP INDEX IF EXISTS item_description_trgm;
"""


def seed_categories(apps, schema_editor):
    Category = apps.get_model("tracker", "Category")
    for slug, name, legal_basis, urgency in CATEGORIES:
        Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "legal_basis": legal_basis, "default_urgency": urgency}
        )


def unseed_categories(apps, schema_editor):
    Category = apps.get_model("tracker", "Category")
    Category.objects.filter(slug__in=[c[0] for c in CATEGORIES], items__isnull=True).delete()


def add_text_search(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TEXT_SEARCH, params=None)


def remove_text_search(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TEXT_SEARCH_REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0003_sightings_evidence_imports")]

    operations = [
        migrations.RunPython(seed_categories, unseed_categories),
        migrations.RunPython(add_text_search, remove_text_search),
    ]
