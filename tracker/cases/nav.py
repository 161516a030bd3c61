from django.utils.translation import gettext_lazy as _

from tracker.core.navigation import NavEntry

ENTRIES = [NavEntry(_("Cases"), "cases-list", "tracker.view_case", order=20)]
