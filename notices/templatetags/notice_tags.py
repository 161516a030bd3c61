"""Template tags of notices."""

from django import template

from notices import selectors

register = template.Library()


@register.filter
def deadline_phrase(deadline) -> str:
    return selectors.deadline_phrase(deadline)
