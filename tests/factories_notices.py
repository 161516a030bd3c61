"""Test data for notices: the default ladder, cases with verified items and a platform contact."""

import importlib

from django.apps import apps
from django.utils import translation

from notices.models import EscalationPolicy
from tests.factories import (
    CaseFactory,
    CategoryFactory,
    FlaggedItemFactory,
    PlatformContactFactory,
    PlatformFactory,
    make_user,
)
from tracker.cases.models import CaseItem
from tracker.items.models import FlaggedItem

_ladder_migration = importlib.import_module("notices.migrations.0002_default_ladder_and_sweep_schedule")
_ladder_names = importlib.import_module("notices.migrations.0009_reference_data_translations")


def ladder() -> EscalationPolicy:
    """The default six-step ladder exactly as the data migration makes it (a flush by a transactional test
    elsewhere may have removed it)."""
    with translation.override("en"):  # the migration looks the ladder up by its English name
        _ladder_migration.create_ladder(apps, None)
        _ladder_names.fill(apps, None)
    return EscalationPolicy.objects.get(is_default=True)


def normal_category():
    return CategoryFactory(
        slug="gambling", name="Online gambling", legal_basis="Law 11/2008 art. 27(2)", default_urgency="normal"
    )


def case_with_items(*, count: int = 2, urgency: str = "urgent", contacts: int = 1, platform=None, owner=None):
    """A case against a platform with `contacts` active addresses and `count` verified items in it."""
    ladder()
    platform = platform or PlatformFactory()
    for _ in range(contacts):
        PlatformContactFactory(platform=platform)
    case = CaseFactory(platform=platform, **({"owner": owner} if owner else {}))
    category = CategoryFactory() if urgency == "urgent" else normal_category()
    analyst = make_user("analyst")
    items = []
    for _ in range(count):
        item = FlaggedItemFactory(
            platform=platform, category=category, urgency=urgency, status=FlaggedItem.Status.VERIFIED, logged_by=analyst
        )
        CaseItem.objects.create(case=case, item=item, added_by=analyst)
        items.append(item)
    return case, items
