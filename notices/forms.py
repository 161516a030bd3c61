"""Forms of the notice pages: they check the input's shape; the services decide what the rules allow."""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.core.templatetags.human_time import format_human_time
from tracker.items.models import FlaggedItem

from .models import (
    ContactEntry,
    EscalationPolicy,
    EscalationStep,
    InboundMail,
    NoticeItem,
    PlatformReply,
    Rebuttal,
    Sanction,
)

MAX_ATTACHMENTS = 20


def _datetime_input():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe); an empty choice is an empty list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data] if data else []
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(_("At most %(count)d files at a time.") % {"count": MAX_ATTACHMENTS})
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class ItemChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, item):
        return f"{item.display[:120]} — {item.get_status_display()}"


def noticeable_items(case):
    """The case's items a notice may cover (the service checks again, with the items already in a notice)."""
    from .sending import NOTICEABLE

    return (
        FlaggedItem.objects.filter(memberships__case=case, memberships__removed_at__isnull=True, status__in=NOTICEABLE)
        .select_related("category")
        .order_by("id")
    )


class SendNoticeForm(forms.Form):
    items = ItemChoiceField(queryset=FlaggedItem.objects.none(), label=_("items to cover"))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = noticeable_items(case)
        if not self.is_bound:  # what the next notice would cover: the same set `send_blockers` looks for
            from .sending import noticeable_now

            self.initial["items"] = list(noticeable_now(case).values_list("pk", flat=True))


class PastNoticeForm(forms.Form):
    """A notice sent outside the tracker, recorded with its real dates."""

    sent_at = forms.DateTimeField(label=_("sent at"), widget=_datetime_input())
    step = forms.ModelChoiceField(
        queryset=EscalationStep.objects.none(), required=False, label=_("ladder step"), empty_label=_("the next one")
    )
    items = ItemChoiceField(queryset=FlaggedItem.objects.none(), label=_("items it covered"))
    recipients = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("sent to (one address a line; empty: the platform's contacts)"),
    )
    sent_by_label = forms.CharField(required=False, max_length=150, label=_("sent by (who sent it then)"))
    subject = forms.CharField(required=False, max_length=400, label=_("subject (empty: the step's own)"))
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}), label=_("text as sent"))
    deadline_at = forms.DateTimeField(
        required=False, label=_("reply was due (empty: computed from the step)"), widget=_datetime_input()
    )

    def __init__(self, *args, case, steps, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = noticeable_items(case)
        self.fields["step"].queryset = steps
        if not self.is_bound:  # what the next notice would cover: the same set `send_blockers` looks for
            from .sending import noticeable_now

            self.initial["items"] = list(noticeable_now(case).values_list("pk", flat=True))

    def clean_recipients(self):
        addresses = [line.strip() for line in self.cleaned_data["recipients"].splitlines() if line.strip()]
        validate = forms.EmailField().clean
        bad = []
        for address in addresses:
            try:
                validate(address)
            except forms.ValidationError:
                bad.append(address)
        if bad:
            raise forms.ValidationError(_("Not an email address: %(list)s") % {"list": ", ".join(bad[:5])})
        return addresses or None


OUTCOME_CHOICES = [("", _("— no answer on this item —")), *[c for c in NoticeItem.Outcome.choices if c[0]]]


class ReplyForm(forms.Form):
    """A platform's reply: when, how, what it said, and an outcome field per item still open."""

    received_at = forms.DateTimeField(
        required=False, label=_("arrived at (empty: the email's date)"), widget=_datetime_input()
    )
    channel = forms.ChoiceField(choices=PlatformReply.Channel.choices, label=_("channel"))
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=20000, label=_("summary"))
    inbound_mail = forms.ModelChoiceField(
        queryset=InboundMail.objects.none(),
        required=False,
        label=_("recorded from the email"),
        empty_label=_("— none —"),
    )
    attachments = MultipleFileField(label=_("attachments"))
    recorded_afterwards = forms.BooleanField(required=False, label=_("recorded afterwards (from old records)"))

    def __init__(self, *args, notice, **kwargs):
        super().__init__(*args, **kwargs)
        self.notice = notice
        self.fields["inbound_mail"].queryset = (
            InboundMail.objects.filter(notice=notice, recorded_reply__isnull=True)
            .exclude(kind__in=InboundMail.NOT_ANSWERS)
            .order_by("received_at", "id")
        )
        self.fields["inbound_mail"].label_from_instance = lambda mail: (
            f"{format_human_time(mail.received_at)} — {mail.from_address} — {mail.subject[:80]}"
        )
        self.open_entries = [entry for entry in notice.notice_items.all() if not entry.is_resolved]
        for entry in self.open_entries:
            self.fields[f"outcome_{entry.item_id}"] = forms.ChoiceField(
                choices=OUTCOME_CHOICES, required=False, label=entry.display[:200]
            )
            self.fields[f"reason_{entry.item_id}"] = forms.CharField(
                required=False, max_length=5000, label=_("platform's reason")
            )

    def item_rows(self):
        """(entry, outcome field, reason field) for the template."""
        return [
            (entry, self[f"outcome_{entry.item_id}"], self[f"reason_{entry.item_id}"]) for entry in self.open_entries
        ]

    def outcomes(self) -> dict[int, tuple[str, str]]:
        data = self.cleaned_data
        return {
            entry.item_id: (data[f"outcome_{entry.item_id}"], data[f"reason_{entry.item_id}"].strip())
            for entry in self.open_entries
            if data.get(f"outcome_{entry.item_id}")
        }

    def clean(self):
        data = super().clean()
        for entry in self.open_entries:
            if (
                data.get(f"outcome_{entry.item_id}") == NoticeItem.Outcome.REFUSED
                and not (data.get(f"reason_{entry.item_id}") or "").strip()
            ):
                self.add_error(f"reason_{entry.item_id}", _("A refusal needs the platform's reason."))
        mail = data.get("inbound_mail")
        if not data.get("received_at") and "received_at" not in self.errors:
            if mail is not None:
                data["received_at"] = mail.date or mail.received_at
            else:
                self.add_error("received_at", _("Give the time the reply arrived."))
        return data


class RebuttalForm(forms.Form):
    notice_item = forms.ModelChoiceField(queryset=NoticeItem.objects.none(), label=_("item objected to"))
    received_at = forms.DateTimeField(label=_("arrived at"), widget=_datetime_input())
    reasons = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=20000, label=_("the platform's reasons")
    )
    reply = forms.ModelChoiceField(
        queryset=PlatformReply.objects.none(), required=False, label=_("came with the reply"), empty_label=_("— none —")
    )
    attachments = MultipleFileField(label=_("attachments"))

    def __init__(self, *args, notice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notice_item"].queryset = notice.notice_items.order_by("id")
        self.fields["notice_item"].label_from_instance = lambda entry: entry.display[:200]
        self.fields["reply"].queryset = notice.replies.order_by("received_at")
        self.fields["reply"].label_from_instance = lambda reply: (
            f"{format_human_time(reply.received_at)} — {reply.summary[:80]}"
        )


DECISION_CHOICES = [choice for choice in Rebuttal.Decision.choices if choice[0]]


class DecideRebuttalForm(forms.Form):
    decision = forms.ChoiceField(choices=DECISION_CHOICES, widget=forms.RadioSelect, label=_("decision"))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, label=_("reasons"))


class SanctionStateForm(forms.Form):
    to_state = forms.ChoiceField(choices=Sanction.State.choices, label=_("new state"))
    at = forms.DateTimeField(required=False, label=_("when (empty: now)"), widget=_datetime_input())
    payment_reference = forms.CharField(required=False, max_length=200, label=_("payment reference"))
    note = forms.CharField(required=False, max_length=5000, label=_("note"))

    def __init__(self, *args, sanction, next_states, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_state"].choices = [(state, Sanction.State(state).label) for state in next_states]
        self.auto_id = f"id_sanction{sanction.pk}_%s"


class EscalationPolicyForm(forms.Form):
    policy = forms.ModelChoiceField(
        queryset=None, label=_("Escalation policy"), empty_label=None, help_text=_("the ladder its notices climb")
    )

    def __init__(self, *args, platform, **kwargs):
        super().__init__(*args, **kwargs)
        # The default, and ladders no other platform has taken.
        self.fields["policy"].queryset = EscalationPolicy.objects.filter(
            Q(platform__isnull=True) | Q(platform=platform)
        ).order_by("-is_default", "name")


class ContactForm(forms.Form):
    """A contact with the platform for the case's contact log; people one a line."""

    kind = forms.ChoiceField(choices=ContactEntry.Kind.choices, label=_("kind"))
    occurred_at = forms.DateTimeField(label=_("when it happened"), widget=_datetime_input())
    ministry_participants = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("from the ministry (one person a line)"),
    )
    platform_participants = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("from the platform (one person a line)"),
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=20000, label=_("summary"))
    attachments = MultipleFileField(label=_("attachments"))
    corrects = forms.ModelChoiceField(
        queryset=ContactEntry.objects.none(),
        required=False,
        label=_("corrects the entry"),
        empty_label=_("— none: a new contact —"),
        help_text=_("an entry is never changed: a correction is a new entry that names the one it corrects"),
    )

    def __init__(self, *args, case, **kwargs):
        kwargs.setdefault("auto_id", "id_contact_%s")
        super().__init__(*args, **kwargs)
        self.fields["corrects"].queryset = ContactEntry.objects.filter(case=case).order_by("occurred_at", "id")
        self.fields["corrects"].label_from_instance = lambda entry: (
            f"#{entry.pk} {timezone.localdate(entry.occurred_at):%Y-%m-%d} {entry.get_kind_display()}"
            f" — {entry.summary[:60]}"
        )

    def clean_ministry_participants(self):
        return _lines(self.cleaned_data["ministry_participants"])

    def clean_platform_participants(self):
        return _lines(self.cleaned_data["platform_participants"])


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
