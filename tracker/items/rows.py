"""The item list's rows, written in Python.

Fifty rows through the template engine cost twice the rest of the page (the filter form, the navigation and
every query together): each cell's lookups, filters and escaping run once per row. Here each row is one
format_html call; the markup is the template's as it was (tests/tracker/test_item_list_rows.py).
"""

from django.contrib.humanize.templatetags.humanize import intcomma, naturaltime
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

ROW = (
    '<tr>{}<td><a href="{}">{}</a> <span class="muted">{}</span></td> <td>{}</td> <td>{}</td> <td>{}</td> '
    '<td><span class="badge">{}</span></td> <td class="num">{}</td> '
    '<td><time datetime="{}" title="{}">{}</time></td></tr>'
)
_MARKER = 987654321
SELECT = '<td class="select"><input type="checkbox" name="ids" value="{}" aria-label="{} {}"></td> '


def shortened(text: str, length: int) -> str:
    """Truncator's `chars`, skipped for the common text that already fits (it walks every character)."""
    return text if len(text) <= length else Truncator(text).chars(length)


def item_rows(items, *, can_select: bool) -> SafeString:
    """A <tr> for each item (with `<field>_label`s set by label_rows), in the current language and time zone."""
    select_label, other_label = _("Select"), _("other")
    zone = timezone.get_current_timezone()
    # One reverse for the page: the detail address with a marker where each row's number goes.
    detail = reverse("items-detail", args=[_MARKER]).replace(str(_MARKER), "{}")
    rows = []
    for item in items:
        logged = item.logged_at.astimezone(zone)
        if item.platform is not None:
            platform = item.platform.name
        else:
            platform = format_html('<span class="muted">{}: {}</span>', other_label, item.host)
        urgency = item.urgency_label
        if item.urgency == "urgent":
            urgency = format_html('<span class="badge danger">{}</span>', urgency)
        rows.append(
            format_html(
                ROW,
                format_html(SELECT, item.pk, select_label, shortened(item.display, 60)) if can_select else "",
                detail.format(item.pk),
                shortened(item.display, 90),
                item.kind_label,
                platform,
                item.category.name,
                urgency,
                item.status_label,
                intcomma(item.sighting_count),
                logged.isoformat(),
                logged.strftime("%Y-%m-%d %H:%M"),
                naturaltime(item.logged_at),
            )
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - each row is format_html's, its values escaped
