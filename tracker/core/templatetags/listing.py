"""`{% sort_header "logged" _("Logged") %}` in a list's <th>: a link that sorts by the column, keeping filters."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str) -> str:
    """A link sorting the list by `key` (one of the view's sortable, indexed columns): first newest/largest
    first, then the other way. The current column shows its direction."""
    query = context["request"].GET.copy()
    for name in ("page", "cursor", "format", "sort"):
        query.pop(name, None)
    current = getattr(context.get("page"), "sort", "")
    query["sort"] = key if current == f"-{key}" else f"-{key}"
    if current == key:
        arrow, state = " ▲", _("sorted ascending")
    elif current == f"-{key}":
        arrow, state = " ▼", _("sorted descending")
    else:
        arrow, state = "", _("sort")
    return format_html(
        '<a class="sort" href="?{}" title="{}">{}<span aria-hidden="true">{}</span></a>',
        query.urlencode(),
        state,
        label,
        arrow,
    )
