from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notices import selectors
from notices.outbox.reading import outbox_in_use
from tracker.core.navigation import HeaderLink, NavEntry

ENTRIES = [
    NavEntry(gettext_lazy("Notices"), "notices-list", "notices.view_notice", order=30),
    NavEntry(gettext_lazy("Inbound email"), "notices-mail-list", "notices.view_inboundmail", order=35),
    # Under `make run` (no mail server) the mail the tracker would send is in the outbox.
    NavEntry(gettext_lazy("Outbox"), "notices-outbox", "notices.view_delivery", order=38, visible=outbox_in_use),
]


def header_links(request) -> list[HeaderLink]:
    """Notifications beside the user's name, with the unread count: one indexed count (user, read_at) per page."""
    count = selectors.unread_count(request.user)
    return [HeaderLink(_("Notifications"), reverse("notifications-list"), "notification-count", count)]
