"""Django's form renderer, writing its commonest widgets (inputs and selects) in Python.

Through the template engine each widget is three to five template includes, and a select one more per option:
a list page's filter form of eleven widgets was 97 includes, a fifth of the page's cost. Here an input or a
select is one pass over its attributes and options, writing exactly the markup Django's own templates write
(tests/tracker/test_widget_renderer.py renders every kind of widget both ways and compares). A template that
an app overrides, and every other widget, is rendered by the templates as before.
"""

from pathlib import Path

import django.forms
from django.forms.renderers import DjangoTemplates
from django.template.base import render_value_in_context
from django.template.context import Context
from django.template.defaultfilters import stringformat
from django.utils.functional import cached_property
from django.utils.safestring import SafeData, mark_safe

WIDGETS = "django/forms/widgets/"
DJANGO_WIDGETS = Path(django.forms.__file__).parent / "templates" / WIDGETS
INPUT = f"{WIDGETS}input.html"
SELECT = f"{WIDGETS}select.html"
OPTION = f"{WIDGETS}select_option.html"
# How a widget template's variables are written: as a template with autoescape on and no l10n or tz override.
_CONTEXT = Context(autoescape=True)


def _out(value) -> str:
    """`{{ value }}`."""
    return render_value_in_context(value, _CONTEXT)


def _out_as_string(value) -> str:
    """`{{ value|stringformat:'s' }}` (stringformat keeps a safe string safe)."""
    formatted = stringformat(value, "s")
    return _out(mark_safe(formatted) if isinstance(value, SafeData) else formatted)  # noqa: S308 - it was safe


def _attrs(attrs: dict) -> str:
    """attrs.html: ` name="value"` for each attribute, ` name` for True, nothing for False."""
    written = []
    for name, value in attrs.items():
        if value is False:
            continue
        written.append(f" {_out(name)}" if value is True else f' {_out(name)}="{_out_as_string(value)}"')
    return "".join(written)


def write_input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_out_as_string(widget["value"])}"'
    return f'<input type="{_out(widget["type"])}" name="{_out(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def write_select(widget: dict) -> str | None:
    """select.html and its select_option.html, each option's template output ending in the file's newline;
    None for options of another template (a widget that changed `option_template_name`)."""
    parts = [f'<select name="{_out(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_out(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION:
                return None
            parts.append(
                f'\n  <option value="{_out_as_string(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_out(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class WidgetsInPython(DjangoTemplates):
    """The default renderer (DjangoTemplates), with inputs and selects written by `write_input`/`write_select`
    wherever the template that would render them is Django's own."""

    @cached_property
    def writers(self) -> dict:
        """Template name -> writer, for the widget templates that are Django's unchanged files: input.html, the
        templates that only include it (text.html, date.html, ...), select.html."""
        if not all(self._is_djangos(name) for name in (INPUT, f"{WIDGETS}attrs.html", OPTION)):
            return {}
        writers = {}
        for path in DJANGO_WIDGETS.glob("*.html"):
            name = f"{WIDGETS}{path.name}"
            if not self._is_djangos(name):
                continue
            if name == INPUT or path.read_text().strip() == '{% include "django/forms/widgets/input.html" %}':
                writers[name] = write_input
            elif name == SELECT:
                writers[name] = write_select
        return writers

    def _is_djangos(self, name: str) -> bool:
        return Path(self.get_template(name).origin.name) == DJANGO_WIDGETS / Path(name).name

    def render(self, template_name, context, request=None):
        write = self.writers.get(template_name)
        written = write(context["widget"]) if write is not None else None
        if written is None:
            return super().render(template_name, context, request=request)
        return written
