from django.conf import settings
from django.utils.translation import gettext_lazy as _

from notices.outbox.reading import FILE_BACKEND
from tracker.navigation import NavEntry

ENTRIES = [
    NavEntry(_("Notices"), "notices-list", "notices.view_notice", order=30),
    NavEntry(_("Inbound email"), "notices-mail-list", "notices.view_inboundmail", order=35),
]

# Under `make run` (no mail server) the mail the tracker would send is in the outbox; show where.
if settings.EMAIL_BACKEND == FILE_BACKEND:
    ENTRIES.append(NavEntry(_("Outbox"), "notices-outbox", "notices.view_delivery", order=38))
