"""Filters of the inbound mail list, shared by the page and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from notices.models import InboundMail
from tracker.core.filters import FilterSet, PickedDate


class InboundMailFilter(FilterSet):
    state = django_filters.ChoiceFilter(choices=InboundMail.State.choices, label=_("state"))
    kind = django_filters.ChoiceFilter(choices=InboundMail.Kind.choices, label=_("kind"))
    source = django_filters.ChoiceFilter(choices=InboundMail.Source.choices, label=_("source"))
    notice = django_filters.CharFilter(field_name="notice__reference", label=_("notice reference"))
    received_after = PickedDate(field_name="received_at", lookup_expr="date__gte", label=_("received from"))
    received_before = PickedDate(field_name="received_at", lookup_expr="date__lte", label=_("received until"))
    q = django_filters.CharFilter(method="filter_text", label=_("subject or sender"))

    class Meta:
        model = InboundMail
        fields = []

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(subject__icontains=value) | Q(from_address__icontains=value))
