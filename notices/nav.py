from django.utils.translation import gettext_lazy as _

from notices.outbox.reading import outbox_in_use
from tracker.navigation import NavEntry

ENTRIES = [
    NavEntry(_("Notices"), "notices-list", "notices.view_notice", order=30),
    NavEntry(_("Inbound email"), "notices-mail-list", "notices.view_inboundmail", order=35),
    # Under `make run` (no mail server) the mail the tracker would send is in the outbox.
    NavEntry(_("Outbox"), "notices-outbox", "notices.view_delivery", order=38, visible=outbox_in_use),
]
