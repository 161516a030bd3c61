"""List filters that refuse what they cannot read, instead of ignoring it."""

from django.utils.translation import gettext as _
from django_filters import BooleanFilter
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
