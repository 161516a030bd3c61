"""The liaison officer's panel on the home page: what awaits a reply, what waits to be confirmed, what is new."""

from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from . import selectors
from .views import notification_target


def panel(request) -> str:
    if not request.user.has_perm("notices.view_notice"):
        return ""
    desk = selectors.liaison_desk(request.user)
    for notification in desk.notifications:
        notification.target = notification_target(notification)
    try:
        triage_url = reverse("notices-mail-list") + "?state=triage"
    except NoReverseMatch:  # the inbound mail pages are not installed
        triage_url = ""
    return render_to_string("notices/_home_panel.html", {"desk": desk, "triage_url": triage_url}, request=request)
