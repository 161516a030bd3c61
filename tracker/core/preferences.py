"""A person's own language and time zone, for the rest of a request."""

import zoneinfo

from django.utils import timezone, translation


def use_preferences_of(user, request) -> None:
    """The rest of this request speaks `user`'s language and shows their time zone (a signed-in page here; an
    API request once its token is read, tracker.accounts.authentication)."""
    try:
        timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        timezone.deactivate()
    translation.activate(user.language)
    request.LANGUAGE_CODE = user.language
