"""Filters of the notice list, shared by the page and the API so both filter alike."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from platforms.models import Platform
from tracker.core.filters import FilterSet, PickedDate

from .models import EscalationStep, Notice, Notification, Sanction


class NoticeFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=Notice.Status.choices, label=_("status"))
    platform = django_filters.ModelChoiceFilter(
        queryset=Platform.objects.all(), field_name="case__platform", to_field_name="slug", label=_("platform")
    )
    case = django_filters.NumberFilter(field_name="case_id", label=_("case number"))
    step_kind = django_filters.ChoiceFilter(
        choices=EscalationStep.Kind.choices, field_name="step__kind", label=_("step kind")
    )
    awaiting_reply = django_filters.BooleanFilter(method="filter_awaiting", label=_("awaiting a reply"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))
    recorded_afterwards = django_filters.BooleanFilter(label=_("recorded afterwards"))
    sent_after = PickedDate(field_name="sent_at", lookup_expr="date__gte", label=_("sent from"))
    sent_before = PickedDate(field_name="sent_at", lookup_expr="date__lte", label=_("sent until"))
    q = django_filters.CharFilter(method="filter_text", label=_("reference or subject"))

    class Meta:
        model = Notice
        fields = []

    def filter_awaiting(self, queryset, name, value):
        awaiting = Q(status__in=Notice.AWAITING_REPLY)
        return queryset.filter(awaiting) if value else queryset.exclude(awaiting)

    def filter_overdue(self, queryset, name, value):
        late = Q(status__in=Notice.AWAITING_REPLY, deadline_at__lte=timezone.now())
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__icontains=value) | Q(subject__icontains=value))


class SanctionFilter(FilterSet):
    state = django_filters.ChoiceFilter(choices=Sanction.State.choices, label=_("state"))
    case = django_filters.NumberFilter(field_name="case_id", label=_("case number"))

    class Meta:
        model = Sanction
        fields = []


class NotificationFilter(FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label=_("unread"))
    kind = django_filters.ChoiceFilter(choices=Notification.Kind.choices, label=_("kind"))

    class Meta:
        model = Notification
        fields = []
