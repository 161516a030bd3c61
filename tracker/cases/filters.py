"""Filters of the case list, shared by the page and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from platforms.models import Platform
from tracker.cases.models import Case
from tracker.core.filters import FilterSet, ModelChoiceFilter, PickedDate


class CaseFilter(FilterSet):
    platform = ModelChoiceFilter(
        queryset=Platform.objects.all(), field_name="platform", to_field_name="slug", label=_("platform")
    )
    status = django_filters.ChoiceFilter(choices=Case.Status.choices, label=_("status"))
    owner = django_filters.CharFilter(field_name="owner__username", label=_("owner"))
    opened_after = PickedDate(field_name="opened_at", lookup_expr="date__gte", label=_("opened from"))
    opened_before = PickedDate(field_name="opened_at", lookup_expr="date__lte", label=_("opened until"))
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label=_("text"))

    class Meta:
        model = Case
        fields = []
