from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    otp_code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text=_("Six digits from your authenticator app, or one of your recovery codes."),
    )


class TokenForm(forms.Form):
    name = forms.CharField(label=_("What it is for"), max_length=100)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, initial=90)
