"""API plumbing every app shares: pagination and the one JSON error shape.

Kept apart from the endpoints because DRF imports these classes from settings
while its own modules load.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tracker.core.errors import DomainError


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            message = str(_("A whole number from 1 to %(max)s.") % {"max": self.max_page_size})
            raise DomainError(message, fields={self.page_size_query_param: [message]})
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] |= {"minimum": 1, "maximum": self.max_page_size}
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        # A page that is not a positive number, or past the end, is the request's fault: 400 naming `page`.
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as missing:
            raise DomainError(str(missing.detail), fields={self.page_query_param: [str(missing.detail)]}) from None


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
