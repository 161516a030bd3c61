"""Times as a person reads them: "5 Dec 2026, 07:12 WIB", in the viewer's zone, with the zone's name."""

from datetime import UTC, datetime, tzinfo

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()

# Day, month name (translated), year, hour and minute, then the zone's abbreviation (WIB, WITA, WIT, UTC…).
HUMAN_TIME_FORMAT = "j M Y, H:i T"


def format_human_time(value: datetime, zone: tzinfo | None = None) -> str:
    """An aware datetime as "5 Dec 2026, 07:12 WIB" in `zone` (default: the active zone, which is the ministry's
    TIME_ZONE outside a request). For text that is stored or sent, where no viewer's zone applies."""
    return date_format(timezone.localtime(value, zone), HUMAN_TIME_FORMAT)


@register.filter
def human_time(value) -> str:
    """Format an aware datetime in the current zone; anything else is shown as it is."""
    if not isinstance(value, datetime):
        return "" if value is None else value
    if timezone.is_aware(value):
        return format_human_time(value)
    return date_format(value, HUMAN_TIME_FORMAT)


@register.filter
def human_time_utc(value) -> str:
    """The same instant in UTC ("4 Dec 2026, 17:12 UTC"), beside a local time for readers elsewhere."""
    if not isinstance(value, datetime) or not timezone.is_aware(value):
        return human_time(value)
    return format_human_time(value, UTC)
