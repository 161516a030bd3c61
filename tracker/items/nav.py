from django.utils.translation import gettext_lazy as _

from tracker.core.navigation import NavEntry

ENTRIES = [NavEntry(_("Items"), "items-list", "tracker.view_flaggeditem", order=10)]
