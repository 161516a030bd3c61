from django.utils.translation import gettext_lazy as _

from tracker.core.navigation import NavEntry

ENTRIES = [NavEntry(_("Audit trail"), "audit-list", "tracker.view_auditentry", order=90)]
