from django.utils.translation import gettext_lazy as _

from tracker.core.navigation import NavEntry

ENTRIES = [NavEntry(_("People"), "people", "accounts.view_rolegrant", order=85)]
