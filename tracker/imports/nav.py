from django.utils.translation import gettext_lazy as _

from tracker.core.navigation import NavEntry

ENTRIES = [NavEntry(_("Imports"), "imports-list", "tracker.view_flaggeditem", order=15)]
