"""Filters of the item list, shared by the page and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from platforms.models import Platform
from tracker.core.filters import FilterSet, ModelChoiceFilter, PickedDate
from tracker.items.models import Category, FlaggedItem
from tracker.items.services import text_matches


class FlaggedItemFilter(FilterSet):
    platform = ModelChoiceFilter(
        queryset=Platform.objects.all(), field_name="platform", to_field_name="slug", label=_("platform")
    )
    other_platform = django_filters.BooleanFilter(
        field_name="platform", lookup_expr="isnull", label=_("on an unknown platform")
    )
    category = ModelChoiceFilter(
        queryset=Category.objects.all(), field_name="category", to_field_name="slug", label=_("category")
    )
    status = django_filters.ChoiceFilter(choices=FlaggedItem.Status.choices, label=_("status"))
    urgency = django_filters.ChoiceFilter(choices=FlaggedItem._meta.get_field("urgency").choices, label=_("urgency"))
    kind = django_filters.ChoiceFilter(choices=FlaggedItem.Kind.choices, label=_("kind"))
    source = django_filters.ChoiceFilter(choices=FlaggedItem.Source.choices, label=_("source"))
    logged_after = PickedDate(field_name="logged_at", lookup_expr="date__gte", label=_("logged from"))
    logged_before = PickedDate(field_name="logged_at", lookup_expr="date__lte", label=_("logged until"))
    case = django_filters.NumberFilter(method="filter_case", label=_("in case"))
    q = django_filters.CharFilter(method="filter_text", label=_("text"))

    class Meta:
        model = FlaggedItem
        fields = []

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(text_matches(value))

    def filter_case(self, queryset, name, value):
        return queryset.filter(memberships__case_id=value, memberships__removed_at__isnull=True)
