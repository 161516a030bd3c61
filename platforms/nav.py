from django.utils.translation import gettext_lazy as _

from tracker.core.navigation import NavEntry

ENTRIES = [
    NavEntry(_("Platforms"), "platforms-list", "platforms.view_platform", order=30),
    NavEntry(_("Advisories"), "platforms-advisory-list", "platforms.view_governmentadvisory", order=31),
]
