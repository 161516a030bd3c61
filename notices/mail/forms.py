from django import forms
from django.utils.translation import gettext_lazy as _


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".eml,message/rfc822"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data]
        files = [file for file in files if file]
        if not files:
            raise forms.ValidationError(_("Choose one or more .eml files."), code="required")
        return files


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Email files"),
        help_text=_("raw messages (.eml, RFC 822) as saved from a mail program; several at once"),
    )


class MatchForm(forms.Form):
    reference = forms.CharField(label=_("Notice reference"), max_length=20, help_text=_("e.g. TKD/2017/000123"))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DismissForm(forms.Form):
    note = forms.CharField(label=_("Why dismiss it"), widget=forms.Textarea(attrs={"rows": 2}))
