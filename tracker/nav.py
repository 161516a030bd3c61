from django.utils.translation import gettext_lazy as _

from tracker.navigation import NavEntry

ENTRIES = [
    NavEntry(_("Items"), "items-list", "tracker.view_flaggeditem", order=10),
    NavEntry(_("Imports"), "imports-list", "tracker.view_flaggeditem", order=15),
    NavEntry(_("Cases"), "cases-list", "tracker.view_case", order=20),
    NavEntry(_("Audit trail"), "audit-list", "tracker.view_auditentry", order=90),
]
