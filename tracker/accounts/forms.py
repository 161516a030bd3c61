from django import forms
from django.utils.translation import gettext_lazy as _

from tracker.core.models import Role


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


class InviteForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=[("", "—"), *Role.choices], required=False)
    otp_code = forms.CharField(
        label=_("Your authenticator code"),
        required=False,
        help_text=_("Needed to propose a supervisor or an administrator."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class GrantForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    reason = forms.CharField(label=_("Why"), max_length=500)
    otp_code = forms.CharField(
        label=_("Your authenticator code"),
        required=False,
        help_text=_("Needed to propose a supervisor or an administrator."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
