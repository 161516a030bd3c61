from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from notices.models import Notice

from .exports import FORMATS
from .models import ISP


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self):
        super().__init__(format="%Y-%m-%dT%H:%M")


class OrderForm(forms.Form):
    names = forms.CharField(
        label=_("DNS names"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("one a line; *.name blocks every name under it"),
    )
    justification = forms.CharField(label=_("Justification"), widget=forms.Textarea(attrs={"rows": 4}))
    legal_basis = forms.CharField(label=_("Legal basis"), widget=forms.Textarea(attrs={"rows": 2}))
    notices = forms.ModelMultipleChoiceField(
        label=_("Notices behind it"),
        queryset=Notice.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    notice_references = forms.CharField(
        label=_("Other notices behind it"),
        required=False,
        help_text=_("notices sent outside the tracker and not recorded in it"),
    )
    effective_at = forms.DateTimeField(label=_("Effective from"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Ends at (optional)"), widget=DateTimeInput(), required=False)
    binds_all_isps = forms.BooleanField(label=_("Bind every ISP"), required=False, initial=True)
    isps = forms.ModelMultipleChoiceField(
        label=_("or only these ISPs"),
        queryset=ISP.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, notices=None, **kwargs):
        """`notices`: those the order may cite (its case's sent notices); without any, the field is left out."""
        super().__init__(*args, **kwargs)
        if notices is None or not notices.exists():
            del self.fields["notices"]
        else:
            self.fields["notices"].queryset = notices.select_related("step")
            self.fields["notices"].label_from_instance = notice_label


def notice_label(notice: Notice) -> str:
    sent = formats.date_format(timezone.localtime(notice.sent_at), "Y-m-d")
    return f"{notice.reference} — {notice.step.name}, {sent}, {notice.get_status_display()}"


class LiftForm(forms.Form):
    names = forms.CharField(
        label=_("Names to lift"),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        help_text=_("leave empty to lift every name of the order"),
    )
    justification = forms.CharField(label=_("Justification"), widget=forms.Textarea(attrs={"rows": 3}))
    legal_basis = forms.CharField(label=_("Legal basis"), widget=forms.Textarea(attrs={"rows": 2}))
    effective_at = forms.DateTimeField(label=_("Effective from"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("Block resumes at (optional)"), widget=DateTimeInput(), required=False)
    isps = forms.ModelMultipleChoiceField(
        label=_("For these ISPs"),
        queryset=ISP.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("the ISPs the block order was issued to; a lift binds no other"),
    )

    def __init__(self, *args, bound_isps=None, **kwargs):
        """`bound_isps`: the ISPs the block binds, offered and preselected; without any, the field is left out."""
        super().__init__(*args, **kwargs)
        if bound_isps is None or not bound_isps.exists():
            del self.fields["isps"]
        else:
            self.fields["isps"].queryset = bound_isps
            self.fields["isps"].initial = list(bound_isps)


class AsOfForm(forms.Form):
    at = forms.DateTimeField(label=_("The list as of"), widget=DateTimeInput())
    kind = forms.ChoiceField(label=_("format"), choices=[(kind, kind) for kind in FORMATS])


class ISPForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    licence_number = forms.CharField(label=_("Licence number"), max_length=100)
    contact_name = forms.CharField(label=_("Contact name"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("Contact email"))
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=50, required=False)
    resolver_addresses = forms.CharField(
        label=_("Resolvers to check"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("one IP address a line, optionally with :port; compliance checks query only these"),
    )
    transfer_addresses = forms.CharField(
        label=_("Resolvers that transfer the zone"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_(
            "one IP address a line, optionally with #port: told of each new version and allowed to transfer the "
            "ISP's RPZ zone without its key (for resolvers without TSIG, such as Unbound)"
        ),
    )
    accounts = forms.CharField(
        label=_("API accounts"), required=False, help_text=_("usernames of users in the ISP role, comma separated")
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
