"""Forms of the platform registry. They only read input; the services validate and save it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AdvisoryReason, GovernmentAdvisory, Platform, PlatformContact, UrlRules


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class PlatformForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    slug = forms.SlugField(label=_("Short name in addresses"), max_length=50, required=False)
    operator_legal_name = forms.CharField(label=_("Operator's legal name"), max_length=200, required=False)
    home_country = forms.CharField(
        label=_("Home country"), max_length=2, required=False, help_text=_("two-letter ISO 3166 code, e.g. AE")
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    language = forms.CharField(label=_("Notice language"), max_length=8, initial="en")
    url_rules = forms.ChoiceField(label=_("URL rules"), choices=UrlRules.choices, initial=UrlRules.GENERIC)
    has_government_channel = forms.BooleanField(label=_("A government channel exists"), required=False)
    has_representative_office = forms.BooleanField(label=_("Representative office in the country"), required=False)
    representative_office_address = forms.CharField(
        label=_("Representative office address"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class NamesForm(forms.Form):
    hosts = forms.CharField(
        label=_("Hosts"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=_("one a line: hosts whose links are this platform's content (t.me, telegram.me)"),
    )
    names = forms.CharField(
        label=_("DNS names it owns"),
        widget=forms.Textarea(attrs={"rows": 10}),
        required=False,
        help_text=_("one a line: what a block order against it would list"),
    )


class TrustedFlaggerForm(forms.Form):
    since = forms.DateField(label=_("Trusted flagger since"), widget=DateInput())
    granted_by = forms.CharField(label=_("Granted by (at the platform)"), max_length=200)


class ContactForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=PlatformContact.Role.choices)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.EmailField(label=_("Email"))


class AdvisoryForm(forms.Form):
    authority = forms.CharField(label=_("Authority"), max_length=200)
    country = forms.CharField(label=_("Country"), max_length=2, help_text=_("two-letter ISO 3166 code, e.g. ID"))
    reference = forms.CharField(label=_("Reference number"), max_length=100, required=False)
    issued_on = forms.DateField(label=_("Issued on"), widget=DateInput())
    scope = forms.CharField(label=_("Who is bound"), max_length=300)
    measure = forms.ChoiceField(label=_("Measure"), choices=GovernmentAdvisory.Measure.choices)
    platforms = forms.ModelMultipleChoiceField(
        label=_("Platforms"),
        queryset=Platform.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    reasons = forms.ModelMultipleChoiceField(
        label=_("Reasons"),
        queryset=AdvisoryReason.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    alternative = forms.CharField(
        label=_("What to use instead"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    source = forms.CharField(label=_("Source"), max_length=300, required=False)
    source_url = forms.URLField(label=_("Source address"), required=False, assume_scheme="https")
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class LiftAdvisoryForm(forms.Form):
    lifted_on = forms.DateField(label=_("Lifted on"), widget=DateInput())
    reason = forms.CharField(label=_("Why, or on whose word"), widget=forms.Textarea(attrs={"rows": 2}))
