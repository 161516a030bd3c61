"""The calendar page (issue or revoke one's address) and the feed itself (the secret is the credential)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import feeds
from .ical import feed_text


@login_required
def calendar_page(request):
    return render(request, "calendar/calendar.html", {"feed": feeds.live_feed(request.user), "address": None})


@login_required
@require_POST
def calendar_issue(request):
    feed, secret = feeds.issue_feed(user=request.user)
    address = request.build_absolute_uri(f"/calendar/{secret}.ics")
    messages.success(request, _("New calendar address made: copy it now, it is not shown again."))
    return render(request, "calendar/calendar.html", {"feed": feed, "address": address})


@login_required
@require_POST
def calendar_revoke(request):
    if feeds.revoke_feed(user=request.user):
        messages.success(request, _("Calendar address turned off."))
    return redirect("calendar")


def calendar_feed(request, secret: str):
    feed = feeds.feed_for_secret(secret)
    if feed is None:
        raise Http404("no such calendar")
    body = feed_text(feed.user, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = 'inline; filename="deadlines.ics"'
    return response
