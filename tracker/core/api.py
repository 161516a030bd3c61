"""The core API endpoints: who am I, and the read-only audit trail."""

import django_filters
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from tracker.core.filters import FilterSet, PickedDateTime
from tracker.core.inputs import RefuseUnknownFields
from tracker.core.models import AuditEntry, User


class MeSerializer(RefuseUnknownFields, serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "roles", "language", "time_zone"]
        read_only_fields = ["id", "username", "roles"]

    def get_roles(self, user) -> list[str]:
        return sorted(user.roles())


class MeView(APIView):
    """Who the caller is, with roles; PATCH changes their own language and time zone."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = MeSerializer

    def get(self, request):
        return Response(MeSerializer(request.user).data)

    def patch(self, request):
        serializer = MeSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data, status=status.HTTP_200_OK)


class AuditEntrySerializer(serializers.ModelSerializer):
    model = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "at",
            "actor",
            "actor_label",
            "source",
            "remote_addr",
            "action",
            "model",
            "object_id",
            "object_repr",
            "from_state",
            "to_state",
            "changes",
            "reason",
        ]

    def get_model(self, entry) -> str:
        return f"{entry.content_type.app_label}.{entry.content_type.model}"


class AuditEntryFilter(FilterSet):
    at_after = PickedDateTime(field_name="at", lookup_expr="gte")
    at_before = PickedDateTime(field_name="at", lookup_expr="lt")
    model = django_filters.CharFilter(method="filter_model", help_text="app_label.model, e.g. tracker.flaggeditem")
    actor = django_filters.CharFilter(field_name="actor_label")

    class Meta:
        model = AuditEntry
        fields = ["action", "source", "object_id"]

    def filter_model(self, queryset, name, value):
        app_label, _, model = value.lower().partition(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)


class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail, read-only for everyone: no route writes, changes or deletes an entry."""

    queryset = AuditEntry.objects.select_related("content_type")
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    ordering_fields = ["at"]
