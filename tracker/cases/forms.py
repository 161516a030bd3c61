"""Forms of cases."""

from django import forms
from django.utils.translation import gettext_lazy as _

from platforms.models import Platform
from tracker.cases.models import Case


class OpenCaseField(forms.ModelChoiceField):
    """An open case by its number: a list of every open case would not scale to 100,000 of them."""

    widget = forms.NumberInput
    default_error_messages = {"invalid_choice": _("No open case has this number.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(Case.objects.exclude(status=Case.Status.CLOSED), **kwargs)


class CaseForm(forms.Form):
    title = forms.CharField(max_length=200, label=_("title"))
    platform = forms.ModelChoiceField(Platform.objects.all(), label=_("platform"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("description"))


class AddItemsForm(forms.Form):
    urls = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label=_("items already logged: one URL or @handle a line")
    )
