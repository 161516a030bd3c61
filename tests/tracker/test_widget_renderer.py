"""The form renderer that writes inputs and selects in Python writes exactly what Django's templates write."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from tests.factories import CategoryFactory, PlatformFactory
from tracker.core import widget_renderer
from tracker.core.widget_renderer import WidgetsInPython
from tracker.items.filters import FlaggedItemFilter

CHOICES = [
    ("", "---------"),
    (1, "one & <two>"),
    (2500, 2500),
    ("lazy", gettext_lazy("status")),
    ("Group", [("a", 'A "quoted"'), ("b", mark_safe("<b>B</b>"))]),
    (None, "none"),
]

WIDGETS = [
    (forms.TextInput(), "x"),
    (forms.TextInput(), None),
    (forms.TextInput(), 'say "hi" & <bye>'),
    (forms.TextInput(), mark_safe("<i>kept</i>")),
    (forms.TextInput(attrs={"required": True, "disabled": False, "maxlength": 10, "data-x": None}), "v"),
    (forms.TextInput(attrs={"placeholder": gettext_lazy("status"), "class": 'a"b'}), ""),
    (forms.NumberInput(), 12345),
    (forms.NumberInput(attrs={"step": 0.5}), 1.25),
    (forms.EmailInput(), "a@b.example"),
    (forms.URLInput(), "https://t.me/s/x?a=1&b=2"),
    (forms.SearchInput(), "q"),
    (forms.PasswordInput(render_value=True), "secret"),
    (forms.HiddenInput(), "hidden"),
    (forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), datetime.date(2026, 12, 5)),
    (forms.DateTimeInput(), datetime.datetime(2026, 12, 5, 7, 30)),
    (forms.TimeInput(), datetime.time(7, 30)),
    (forms.CheckboxInput(), True),
    (forms.CheckboxInput(), False),
    (forms.Select(choices=CHOICES), 1),
    (forms.Select(choices=CHOICES), "a"),
    (forms.Select(choices=CHOICES), None),
    (forms.Select(choices=[], attrs={"id": "empty"}), ""),
    (forms.SelectMultiple(choices=CHOICES), [1, "b"]),
    (forms.NullBooleanSelect(), True),
    (forms.NullBooleanSelect(), None),
    # Not written in Python: rendered by their templates, which the comparison covers all the same.
    (forms.RadioSelect(choices=CHOICES), 1),
    (forms.Textarea(), "text & <more>"),
    (forms.CheckboxSelectMultiple(choices=CHOICES), [1]),
]


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize(
    ("widget", "value"), WIDGETS, ids=[f"{type(w).__name__}-{i}" for i, (w, _) in enumerate(WIDGETS)]
)
def test_each_widget_is_written_as_djangos_templates_write_it(widget, value, language):
    with translation.override(language):
        expected = widget.render("field", value, attrs={"id": "id_field"}, renderer=DjangoTemplates())
        written = widget.render("field", value, attrs={"id": "id_field"}, renderer=WidgetsInPython())
    assert written == expected


def test_inputs_and_selects_are_written_in_python_and_other_widgets_by_templates():
    renderer = WidgetsInPython()
    assert renderer.writers[widget_renderer.SELECT] is widget_renderer.write_select
    for name in ("input.html", "text.html", "date.html", "number.html", "hidden.html", "checkbox.html"):
        assert renderer.writers[f"django/forms/widgets/{name}"] is widget_renderer.write_input
    for name in ("radio.html", "textarea.html", "checkbox_select.html", "multiwidget.html"):
        assert f"django/forms/widgets/{name}" not in renderer.writers


def test_it_is_the_projects_form_renderer():
    assert isinstance(get_default_renderer(), WidgetsInPython)


def test_a_widget_template_an_app_overrides_is_rendered_by_that_template(monkeypatch):
    renderer = WidgetsInPython()
    real = renderer._is_djangos
    monkeypatch.setattr(renderer, "_is_djangos", lambda name: name != widget_renderer.SELECT and real(name))
    assert widget_renderer.SELECT not in renderer.writers
    assert widget_renderer.INPUT in renderer.writers
    monkeypatch.setattr(renderer, "_is_djangos", lambda name: name != widget_renderer.OPTION and real(name))
    del renderer.writers
    assert renderer.writers == {}


def test_a_select_whose_options_use_another_template_is_rendered_by_templates():
    class OptionsOfItsOwn(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    widget = OptionsOfItsOwn(choices=[("a", "A")])
    written = widget.render("field", "a", renderer=WidgetsInPython())
    assert written == widget.render("field", "a", renderer=DjangoTemplates())
    assert '<input type="select" name="field" value="a"' in written


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "id"])
def test_a_list_pages_filter_form_is_the_same_both_ways(language):
    platform = PlatformFactory(name="Telegram & <co>")
    CategoryFactory()
    data = {"platform": platform.slug, "status": "new", "logged_after": "2026-12-01", "q": "t.me/<x>"}
    with translation.override(language):
        form = FlaggedItemFilter(data).form
        form.renderer = DjangoTemplates()
        by_templates = [str(field.as_widget()) for field in form]
        form.renderer = WidgetsInPython()
        in_python = [str(field.as_widget()) for field in form]
    assert in_python == by_templates
    assert any("selected" in written for written in in_python)
