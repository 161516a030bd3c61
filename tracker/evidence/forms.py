"""The form that attaches evidence to an item."""

from django import forms
from django.utils.translation import gettext_lazy as _


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("file"), allow_empty_file=True)
    captured_at = forms.DateTimeField(
        required=False, label=_("captured at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    description = forms.CharField(required=False, label=_("description"))
