"""List filters that refuse what they cannot read, instead of ignoring it."""

import copy

import django_filters
from django.forms import DateInput, DateTimeInput
from django.http import QueryDict
from django.utils.translation import gettext as _
from django_filters import BooleanFilter, DateFilter, IsoDateTimeFilter
from django_filters.fields import ModelChoiceField, ModelChoiceIterator
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from rest_framework.exceptions import ValidationError

BOOLEAN_WORDS = {"", "true", "false", "True", "False", "1", "0"}


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet, copying its declared filters shallowly for each request instead of deeply
    (the deep copy of every filter, its choices and lookups was a tenth of a filtered list's cost). Each copy
    gets its own `extra` (a queryset filter writes its queryset there) and builds its own form field."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # As django-filter 26's BaseFilterSet.__init__, but for the copy.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, declared in self.base_filters.items():
            filter_ = copy.copy(declared)
            filter_.__dict__.pop("_field", None)
            filter_.extra = dict(declared.extra)
            filter_.model, filter_.parent = queryset.model, self
            if declared.method is not None:  # its FilterMethod, bound to this copy (it reads the parent's method)
                filter_.method = declared.method
            self.filters[name] = filter_

    def choose_from(self, **rows) -> None:
        """Show `rows` (a list the page has read for its own use, by filter name) as those filters' choices,
        rather than reading them again. What is submitted is still checked against the filter's queryset."""
        for name, listed in rows.items():
            self.form.fields[name].rows = listed


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter reads `?is_active=maybe` as "no filter"; the API says which value it could not read.
    (An empty value still means "not filtered", as a form sends it.)"""

    # Parameters that place or shape a page, never filter it.
    PAGE_PARAMETERS = frozenset({"cursor", "page_size", "ordering", "format"})

    def filter_queryset(self, request, queryset, view):
        # No filter asked for: the list as it is, without building a filter set and its form (a list's most
        # common request, and a fifth of its cost).
        if self.PAGE_PARAMETERS.issuperset(request.query_params):
            return queryset
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        # Only the filters asked for build form fields and are read: a filter without its parameter filters
        # nothing. A filter reads `name`, or `name_<part>` (a range's two ends). (The browsable API's filter
        # form, from to_html, still shows them all.)
        asked = [name for name in request.query_params if name not in self.PAGE_PARAMETERS]
        filterset.filters = {
            name: filter_
            for name, filter_ in filterset.filters.items()
            if any(param == name or param.startswith(f"{name}_") for param in asked)
        }
        if not filterset.is_valid() and self.raise_exception:
            raise translate_validation(filterset.errors)
        return filterset.qs

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


class ListedChoices(ModelChoiceIterator):
    """A choice list read by one plain query. Django reads model choices through `.iterator()`, which on
    PostgreSQL is a server-side cursor (DECLARE, FETCH, CLOSE: three round trips) meant for long results; a
    filter's platforms or categories are a few dozen rows."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        for obj in self.queryset if self.field.rows is None else self.field.rows:
            yield self.choice(obj)


class ListedModelChoiceField(ModelChoiceField):
    iterator = ListedChoices
    # The choices' rows when the page has read them already (FilterSet.choose_from); None reads the queryset.
    rows = None


class ModelChoiceFilter(django_filters.ModelChoiceFilter):
    """django-filter's ModelChoiceFilter, its choices read as ListedChoices."""

    field_class = ListedModelChoiceField


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
