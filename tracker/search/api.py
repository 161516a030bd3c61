"""GET /api/v1/search/?q=: the search box's results for API clients, grouped by kind."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from tracker.core.errors import DomainError

from . import finding


class FoundSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    label = serializers.CharField()
    detail = serializers.CharField()
    url = serializers.CharField(help_text="the record's page")


class SearchResultSerializer(serializers.Serializer):
    """One list per kind the caller may read; kinds it may not read are absent."""

    items = FoundSerializer(many=True, required=False)
    cases = FoundSerializer(many=True, required=False)
    notices = FoundSerializer(many=True, required=False)
    orders = FoundSerializer(many=True, required=False)
    platforms = FoundSerializer(many=True, required=False)


class SearchView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True, description="a URL in any form, a reference, #case, a name")
        ],
        responses=SearchResultSerializer,
    )
    def get(self, request):
        """Up to 10 records of each kind the caller may read, matching `q`; an item's URL is matched in any of
        the forms people type (t.me/s/name, @name, https://telegram.me/name/)."""
        if not finding.readable_groups(request.user):
            raise PermissionDenied()
        unknown = sorted(set(request.query_params) - {"q"})
        if unknown:
            message = _("Unknown parameter: %(names)s") % {"names": ", ".join(unknown)}
            raise DomainError(message, fields={name: [message] for name in unknown})
        query = request.query_params.get("q", "").strip()
        if not query:
            message = _("Say what to look for.")
            raise DomainError(message, fields={"q": [message]})
        groups = finding.search(request.user, query)
        return Response({kind: FoundSerializer(rows, many=True).data for kind, rows in groups.items()})
