"""The item list's rows, written in Python from plain rows.

Fifty rows through the template engine cost twice the rest of the page (the filter form, the navigation and
every query together): each cell's lookups, filters and escaping run once per row. Here each row is one
str.format of its escaped values; the markup is the template's as it was (tests/tracker/test_item_list_rows.py).

The rows are read as values (ROW_VALUES), not as models: fifty items with their platform and category were a
hundred and fifty model instances, a fifth of the page. Platform and category names come from small lookups
made once per page (a category's name is translated, which only its model knows how to do).
"""

from datetime import UTC, datetime
from html import escape

from django.contrib.humanize.templatetags.humanize import NaturalTimeFormatter, intcomma, naturaltime
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from tracker.core.listing import choice_labels
from tracker.items.models import FlaggedItem

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


# What a row shows, read by the list's query.
ROW_VALUES = [
    "id", "display", "kind", "platform_id", "host", "category_id", "urgency", "status", "sighting_count", "logged_at",
]  # fmt: skip


class _TranslatedOnce:
    """A unit of humanize's "… ago" (e.g. "%(num)d months"), translated once per number for the page."""

    def __init__(self, text):
        self.text, self.by_number = text, {}

    def __mod__(self, values):
        number = values["num"]
        if number not in self.by_number:
            self.by_number[number] = self.text % values
        return self.by_number[number]


class TimesAgo:
    """humanize's naturaltime for a page of times. For a time over a day old naturaltime looks up three
    translations (most of its cost); here each is looked up once for the page. The words are the same
    (tests/tracker/test_item_list_rows.py compares them over many spans, in both languages)."""

    def __init__(self):
        self.now = datetime.now(UTC)
        self.ago = str(NaturalTimeFormatter.time_strings["past-day"])
        self.units = {name: _TranslatedOnce(text) for name, text in NaturalTimeFormatter.past_substrings.items()}

    def __call__(self, value: datetime) -> str:
        if value < self.now and (self.now - value).days != 0:
            return self.ago % {"delta": timesince(value, self.now, time_strings=self.units)}
        return naturaltime(value)


def _escaped(value) -> str:
    """conditional_escape of one value (safe text as it is, anything else escaped), without its wrapper's
    per-call check for lazy arguments: a row's dozen values each went through it."""
    return value.__html__() if hasattr(value, "__html__") else escape(str(value))


def _format_html(template: str, *values) -> SafeString:
    """format_html: the template filled with its values, each escaped as conditional_escape escapes it."""
    return SafeString(template.format(*map(_escaped, values)))


def grouped(number: int) -> str:
    """intcomma's digits in groups, skipped for the common count below a thousand (it has no group to mark)."""
    return str(number) if -1000 < number < 1000 else intcomma(number)


def item_rows(items, *, platform_names: dict, category_names: dict, can_select: bool) -> SafeString:
    """A <tr> for each item (a dict of ROW_VALUES), in the current language and time zone; `platform_names`
    and `category_names` map the rows' platform and category ids to names."""
    select_label, other_label = _("Select"), _("other")
    kinds, urgencies, statuses = (choice_labels(FlaggedItem, name) for name in ("kind", "urgency", "status"))
    time_ago = TimesAgo()
    zone = timezone.get_current_timezone()
    # One reverse for the page: the detail address with a marker where each row's number goes.
    detail = reverse("items-detail", args=[_MARKER]).replace(str(_MARKER), "{}")
    rows = []
    for item in items:
        pk, display, urgency = item["id"], item["display"], item["urgency"]
        logged = item["logged_at"].astimezone(zone)
        if item["platform_id"] is not None:
            platform = platform_names[item["platform_id"]]
        else:
            platform = _format_html('<span class="muted">{}: {}</span>', other_label, item["host"])
        urgency_label = urgencies.get(urgency, urgency)
        if urgency == "urgent":
            urgency_label = _format_html('<span class="badge danger">{}</span>', urgency_label)
        rows.append(
            _format_html(
                ROW,
                _format_html(SELECT, pk, select_label, shortened(display, 60)) if can_select else "",
                detail.format(pk),
                shortened(display, 90),
                kinds.get(item["kind"], item["kind"]),
                platform,
                category_names[item["category_id"]],
                urgency_label,
                statuses.get(item["status"], item["status"]),
                grouped(item["sighting_count"]),
                logged.isoformat(),
                logged.strftime("%Y-%m-%d %H:%M"),
                time_ago(item["logged_at"]),
            )
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - each row is _format_html's, its values escaped
