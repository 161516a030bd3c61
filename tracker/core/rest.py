"""API plumbing every app shares: pagination and the one JSON error shape.

Kept apart from the endpoints because DRF imports these classes from settings
while its own modules load.
"""

import functools
import operator

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DataError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import ISO_8601, exceptions, negotiation, serializers
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler

from tracker.core import bulk
from tracker.core.errors import DomainError
from tracker.core.keyset import EXACT_COUNT_LIMIT, keyset_page


class Pagination(BasePagination):
    """Keyset (cursor) pages of every API list: `next` and `previous` are links carrying an opaque `cursor`;
    `count` is exact up to EXACT_COUNT_LIMIT rows and PostgreSQL's estimate above (`count_is_estimate`)."""

    page_size = api_settings.PAGE_SIZE
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            message = str(_("A whole number from 1 to %(max)s.") % {"max": self.max_page_size})
            raise DomainError(message, fields={self.page_size_query_param: [message]})
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        if "page" in request.query_params:  # a client written for page numbers would loop on page 1 forever
            message = str(_("Lists are paged by cursor: follow the `next` link instead of asking for a page."))
            raise DomainError(message, fields={"page": [message]})
        self.request = request
        self.page = keyset_page(
            queryset,
            page_size=self.get_page_size(request),
            cursor=request.query_params.get(self.cursor_query_param) or None,
            values=getattr(view, "page_values", None),
        )
        return self.page.object_list

    def _link(self, cursor):
        if cursor is None:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, cursor)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.count,
                "count_is_estimate": self.page.count_is_estimate,
                "next": self._link(self.page.next_cursor),
                "previous": self._link(self.page.previous_cursor),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["count", "count_is_estimate", "next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": f"exact up to {EXACT_COUNT_LIMIT} rows; above, the database's estimate",
                },
                "count_is_estimate": {"type": "boolean", "description": "true when `count` is an estimate"},
                "next": link | {"description": "the next page, or null on the last"},
                "previous": link | {"description": "the page before, or null on the first"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "where a page starts: take it from `next` or `previous`, never build it",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": "rows per page",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


class Ordering(OrderingFilter):
    """`?ordering=field` or `-field`, one of the view's `ordering_fields` (each served by an index); the
    primary key breaks ties. Anything else is a 400 naming `ordering`, not a silent default."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param, "").strip()
        if not raw:
            return self.get_default_ordering(view)
        allowed = self.allowed(view)
        if raw.lstrip("-") not in allowed:
            message = (
                str(_("Order by one of: %(fields)s (a leading - for descending).") % {"fields": ", ".join(allowed)})
                if allowed
                else str(_("This list has a fixed order."))
            )
            raise DomainError(message, fields={self.ordering_param: [message]})
        return [raw]

    @staticmethod
    def allowed(view) -> list[str]:
        return [name for name in getattr(view, "ordering_fields", None) or [] if isinstance(name, str)]

    def get_schema_operation_parameters(self, view):
        allowed = self.allowed(view)
        if not allowed:
            return []
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "the order of the list; ties broken by id",
                "schema": {"type": "string", "enum": [f"{sign}{name}" for name in allowed for sign in ("", "-")]},
            }
        ]


@functools.cache
def values_reader(serializer_class):
    """(names for `.values()`, rows -> the serializer's JSON of each) for a ModelSerializer of model fields and
    SlugRelatedFields, so that a long list reads plain rows instead of building a model instance and walking
    the serializer for each: the same answer at nearly the cost of the bare query. Times are written as the
    serializer writes them (ISO 8601 in the reader's time zone, UTC as Z), the zone looked up once a page."""
    plan = []
    for name, serializer_field in serializer_class().fields.items():
        if isinstance(serializer_field, serializers.SlugRelatedField):
            plan.append((name, f"{serializer_field.source}__{serializer_field.slug_field}", None))
        elif isinstance(serializer_field, serializers.ChoiceField) or type(serializer_field) in _AS_READ:
            plan.append((name, serializer_field.source, None))
        elif _plain_datetime(serializer_field):
            plan.append((name, serializer_field.source, _AS_ISO_TIME))
        else:
            plan.append((name, serializer_field.source, serializer_field.to_representation))

    names = [name for name, _, _ in plan]
    sources = [source for _, source, _ in plan]
    read = operator.itemgetter(*sources) if len(sources) > 1 else lambda row: (row[sources[0]],)
    times = [name for name, _, convert in plan if convert is _AS_ISO_TIME]
    converted = [(name, convert) for name, _, convert in plan if convert is not None and convert is not _AS_ISO_TIME]

    def shape_rows(rows) -> list[dict]:
        # Each row's values taken in the serializer's order in one step; then only the fields to convert.
        zone = timezone.get_current_timezone()
        answers = []
        for row in rows:
            answer = dict(zip(names, read(row), strict=True))
            for name in times:
                value = answer[name]
                if value is not None:
                    written = value.astimezone(zone).isoformat()
                    answer[name] = written[:-6] + "Z" if written.endswith("+00:00") else written
            for name, convert in converted:
                value = answer[name]
                if value is not None:
                    answer[name] = convert(value)
            answers.append(answer)
        return answers

    return [source for _, source, _ in plan], shape_rows


_AS_ISO_TIME = object()
# Fields whose JSON is the value as read: a choice as stored, text as str(text), a number as int(number).
_AS_READ = (serializers.CharField, serializers.IntegerField)


def _plain_datetime(field) -> bool:
    """A DateTimeField written in DRF's default way: ISO 8601 in the current time zone."""
    return (
        type(field) is serializers.DateTimeField
        and str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower() == ISO_8601
        and not hasattr(field, "timezone")
        and settings.USE_TZ
    )


def error_body(status_code: int, code: str, message: str, fields: dict | None = None) -> dict:
    """The one JSON error shape of the API."""
    return {"error": {"status": status_code, "code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc, context):
    if isinstance(exc, DataError):
        # A value the database refuses (a time zone offset past ±16 h, a number out of range): the client's.
        from rest_framework.views import set_rollback  # not at import: DRF's settings import this module

        set_rollback()
        message = str(_("A value is out of the range the database accepts."))
        return Response(error_body(400, "invalid", message), status=400)
    if isinstance(exc, DomainError):
        return Response(error_body(exc.status_code, exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        message = _first_message(fields)
        response.data = error_body(response.status_code, "invalid", message, flat_fields(fields))
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        response.data = error_body(response.status_code, code, str(getattr(exc, "detail", exc)))
    return response


def flat_fields(fields: dict, prefix: str = "") -> dict[str, list[str]]:
    """{field: [problems]} with nested inputs named by path ("attachments.0", "isps.2.name"), as the schema
    documents: every value a list of strings."""
    flat: dict[str, list[str]] = {}
    for name, problems in fields.items():
        path = f"{prefix}{name}"
        if isinstance(problems, dict):
            flat |= flat_fields(problems, f"{path}.")
        elif isinstance(problems, list) and any(isinstance(problem, (dict, list)) for problem in problems):
            for index, problem in enumerate(problems):
                if isinstance(problem, dict):
                    flat |= flat_fields(problem, f"{path}.{index}.")
                elif isinstance(problem, list):
                    flat[f"{path}.{index}"] = [str(item) for item in problem]
                elif problem:
                    flat.setdefault(path, []).append(str(problem))
        else:
            flat[path] = [str(problem) for problem in problems] if isinstance(problems, list) else [str(problems)]
    return flat


def _first_message(fields) -> str:
    for name, problems in fields.items():
        while isinstance(problems, (list, dict)) and problems:
            problems = problems[0] if isinstance(problems, list) else next(iter(problems.values()))
        label = "" if name == "non_field_errors" else f"{name}: "
        return f"{label}{problems}"
    return "Invalid input."


def validated(serializer_class, data) -> dict:
    """The input as `serializer_class` validates it; a refusal raises, and the handler above shapes it."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def bulk_ids_field() -> serializers.ListField:
    """The `ids` of a bulk action's request: one to tracker.core.bulk.MAX_IDS record ids."""
    return serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=bulk.MAX_IDS)


class BulkRefusalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    """What a bulk action did: the ids done and, per refused id, why."""

    done = serializers.ListField(child=serializers.IntegerField())
    refused = BulkRefusalSerializer(many=True)


class DocumentNegotiation(negotiation.BaseContentNegotiation):
    """For routes that answer with a document (a PDF letter) themselves: whatever the client accepts, the
    document is the answer, and a refusal (403, 404) is the usual JSON error body."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


LETTER_RESPONSES = {
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="the letter as a PDF document"),
    403: OpenApiResponse(description="not allowed to read this record"),
    404: OpenApiResponse(description="no such record, or not one this account may see"),
}
