"""Times as a person reads them: "5 Dec 2026, 07:12 WIB", in the viewer's zone, with the zone's name."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

register = template.Library()

# Day, month name (translated), year, hour and minute, then the zone's abbreviation (WIB, WITA, WIT, UTC…).
HUMAN_TIME_FORMAT = "j M Y, H:i T"


@register.filter
def human_time(value) -> str:
    """Format an aware datetime in the current zone; anything else is shown as it is."""
    if not isinstance(value, datetime):
        return "" if value is None else value
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, HUMAN_TIME_FORMAT)
