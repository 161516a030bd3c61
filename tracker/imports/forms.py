from django import forms
from django.utils.translation import gettext_lazy as _

from platforms.models import Platform
from tracker.items.forms import OpenCaseField
from tracker.items.models import Category, FlaggedItem


class ImportForm(forms.Form):
    text = forms.CharField(
        label=_("Paste a list"),
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false"}),
        required=False,
        strip=False,
        help_text=_("one address or @handle a line"),
    )
    file = forms.FileField(
        label=_("or upload a file"),
        required=False,
        help_text=_(
            "a CSV in UTF-8 whose first line names its columns: url (required), category, source, urgency, "
            "language, description, platform; a .txt file is read as a list"
        ),
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True),
        to_field_name="slug",
        required=False,
        help_text=_("for rows without a category of their own; a pasted list needs one"),
    )
    source = forms.ChoiceField(label=_("Source"), choices=FlaggedItem.Source.choices)
    platform = forms.ModelChoiceField(
        label=_("Platform of @handles"),
        queryset=Platform.objects.all(),
        to_field_name="slug",
        required=False,
        help_text=_("the platform a bare @handle belongs to"),
    )
    case = OpenCaseField(label=_("Add to case (case number, optional)"))

    def clean(self):
        data = super().clean()
        has_text = bool((data.get("text") or "").strip())
        if has_text == bool(data.get("file")):
            raise forms.ValidationError(_("Paste a list or upload a file (one of the two)."))
        return data
