"""List filters that refuse what they cannot read, instead of ignoring it."""

from django.forms import DateInput, DateTimeInput
from django.utils.translation import gettext as _
from django_filters import BooleanFilter, DateFilter, IsoDateTimeFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

BOOLEAN_WORDS = {"", "true", "false", "True", "False", "1", "0"}


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter reads `?is_active=maybe` as "no filter"; the API says which value it could not read.
    (An empty value still means "not filtered", as a form sends it.)"""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            refused = {
                name: [_("Use true or false.")]
                for name, field in filterset.filters.items()
                if isinstance(field, BooleanFilter)
                and any(value not in BOOLEAN_WORDS for value in request.query_params.getlist(name))
            }
            if refused:
                raise ValidationError(refused)
        return filterset


class PickedDate(DateFilter):
    """A date filter the browser shows as a date picker (<input type="date">, which sends YYYY-MM-DD whatever
    the page's language); the API reads the same ISO date."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(*args, **kwargs)


class PickedDateTime(IsoDateTimeFilter):
    """An ISO date-time filter the browser shows as a date and time picker (<input type="datetime-local">)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
        super().__init__(*args, **kwargs)
