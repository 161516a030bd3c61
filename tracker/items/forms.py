from django import forms
from django.utils.translation import gettext_lazy as _

from platforms.models import Platform
from tracker.models import Case, Category, FlaggedItem


class OpenCaseField(forms.ModelChoiceField):
    """An open case by its number: a list of every open case would not scale to 100,000 of them."""

    widget = forms.NumberInput
    default_error_messages = {"invalid_choice": _("No open case has this number.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(Case.objects.exclude(status=Case.Status.CLOSED), **kwargs)


URGENCY_CHOICES = [("", _("category's default")), *FlaggedItem._meta.get_field("urgency").choices]


class LogItemForm(forms.Form):
    url = forms.CharField(
        label=_("URL or @handle"), max_length=4096, widget=forms.TextInput(attrs={"autofocus": True, "size": 60})
    )
    platform = forms.ModelChoiceField(
        Platform.objects.all(), required=False, label=_("platform (for an @handle)"), to_field_name="slug"
    )
    category = forms.ModelChoiceField(Category.objects.filter(is_active=True), label=_("category"))
    source = forms.ChoiceField(choices=FlaggedItem.Source.choices, label=_("source"))
    urgency = forms.ChoiceField(choices=URGENCY_CHOICES, required=False, label=_("urgency"))
    language = forms.CharField(max_length=16, required=False, label=_("language of the content"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("description"))
    evidence = forms.FileField(required=False, label=_("evidence file"))
    case = OpenCaseField(label=_("add to case (case number)"))


class EditItemForm(forms.Form):
    category = forms.ModelChoiceField(Category.objects.filter(is_active=True), label=_("category"))
    urgency = forms.ChoiceField(choices=FlaggedItem._meta.get_field("urgency").choices, label=_("urgency"))
    language = forms.CharField(max_length=16, required=False, label=_("language of the content"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("description"))
    reason = forms.CharField(required=False, label=_("why the change"))


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("file"), allow_empty_file=True)
    captured_at = forms.DateTimeField(
        required=False, label=_("captured at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    description = forms.CharField(required=False, label=_("description"))


class CaseForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("title"))
    platform = forms.ModelChoiceField(Platform.objects.all(), label=_("platform"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("description"))


class AddItemsForm(forms.Form):
    urls = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label=_("items already logged: one URL or @handle a line")
    )
