"""Forms of flagged items."""

from django import forms
from django.utils.translation import gettext_lazy as _

from platforms.models import Platform
from tracker.cases.forms import OpenCaseField
from tracker.items.models import Category, FlaggedItem

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
