"""How figures read: shares in whole per cent, durations in the two largest units, a dash for nothing."""

from datetime import timedelta

from django import template
from django.utils.formats import number_format

from notices.replies import describe_duration

register = template.Library()

NOTHING = "–"


@register.filter
def percent(value) -> str:
    if value is None:
        return NOTHING
    return f"{number_format(round(value * 100), 0)}%"


@register.filter
def duration(seconds) -> str:
    if seconds is None:
        return NOTHING
    return describe_duration(timedelta(seconds=seconds))


@register.filter
def count(value) -> str:
    if value is None:
        return NOTHING
    return number_format(value, 0, force_grouping=True)


@register.filter
def get_item(mapping, key):
    """`mapping[key]`, or an empty string: a figure's link by the row's key."""
    return (mapping or {}).get(key, "")
