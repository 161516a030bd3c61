from django.utils.translation import gettext_lazy as _

from tracker.navigation import NavEntry

ENTRIES = [
    NavEntry(_("Notices"), "notices-list", "notices.view_notice", order=30),
    NavEntry(_("Inbound email"), "notices-mail-list", "notices.view_inboundmail", order=35),
]
