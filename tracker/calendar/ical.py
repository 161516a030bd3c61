"""The feed as RFC 5545 text (icalendar): one VEVENT a deadline, in UTC, each with a stable UID."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from .deadlines import deadlines_for

EVENT_LENGTH = timedelta(minutes=15)


def feed_text(user, *, base_url: str, now: datetime | None = None) -> bytes:
    """The calendar of `user`'s deadlines, in their language; links go to `base_url` (the tracker's origin)."""
    now = now or timezone.now()
    host = base_url.split("://", 1)[-1].rstrip("/")
    with translation.override(user.language or None):
        calendar = Calendar()
        calendar.add("prodid", "-//Takedown tracker//Deadlines//EN")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("x-wr-calname", _("Takedown tracker: my deadlines"))
        calendar.add("x-wr-timezone", user.time_zone or "UTC")
        for deadline in deadlines_for(user, now=now):
            event = Event()
            event.add("uid", f"{deadline.uid}@{host}")
            event.add("dtstamp", now.astimezone(UTC))
            event.add("dtstart", deadline.at.astimezone(UTC))
            event.add("dtend", (deadline.at + EVENT_LENGTH).astimezone(UTC))
            event.add("summary", deadline.summary)
            if deadline.description:
                event.add("description", deadline.description)
            event.add("url", f"{base_url.rstrip('/')}{deadline.path}")
            calendar.add_component(event)
    return calendar.to_ical()
