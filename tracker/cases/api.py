"""API of cases, their items and their timeline."""

from django.db.models import Count, Q
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from platforms.models import Platform
from tracker.cases import bulk as case_bulk
from tracker.cases import services as case_services
from tracker.cases.filters import CaseFilter
from tracker.cases.models import Case
from tracker.cases.timeline import case_timeline
from tracker.core.errors import require_permission
from tracker.core.inputs import InputSerializer
from tracker.core.models import User
from tracker.core.rest import BulkResultSerializer, bulk_ids_field, validated
from tracker.items.api import FlaggedItemSerializer, FlaggedItemViewSet
from tracker.items.models import FlaggedItem


class CaseSerializer(serializers.ModelSerializer):
    platform = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Case
        fields = ["id", "title", "platform", "owner", "status", "description", "opened_at", "closed_at", "item_count"]
        read_only_fields = fields


class OpenCaseSerializer(InputSerializer):
    title = serializers.CharField(max_length=200)
    platform = serializers.SlugRelatedField(slug_field="slug", queryset=Platform.objects.all())
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    owner = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all(), required=False)
    items = serializers.PrimaryKeyRelatedField(queryset=FlaggedItem.objects.all(), many=True, required=False)


class EditCaseSerializer(InputSerializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    owner = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all(), required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class CaseItemsSerializer(InputSerializer):
    items = serializers.PrimaryKeyRelatedField(queryset=FlaggedItem.objects.all(), many=True, allow_empty=False)


class RemoveCaseItemSerializer(InputSerializer):
    item = serializers.PrimaryKeyRelatedField(queryset=FlaggedItem.objects.all())
    reason = serializers.CharField(max_length=2000)


class CaseTransitionSerializer(InputSerializer):
    status = serializers.ChoiceField(choices=Case.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class TimelineEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    title = serializers.CharField()
    actor = serializers.CharField()
    detail = serializers.CharField()
    url = serializers.CharField()
    overdue = serializers.BooleanField()
    recorded_afterwards = serializers.BooleanField()


class BulkCasesInput(InputSerializer):
    """A bulk action: `transition` the selected cases (needs `status`), `assign` them an `owner` (username),
    or `add_items`: add the selected item ids to the case `case`."""

    action = serializers.ChoiceField(choices=["transition", "assign", "add_items"])
    ids = bulk_ids_field()
    status = serializers.ChoiceField(choices=Case.Status.choices, required=False)
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False
    )
    case = serializers.PrimaryKeyRelatedField(queryset=Case.objects.select_related("platform"), required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def validate(self, attrs):
        needs = {"transition": "status", "assign": "owner", "add_items": "case"}[attrs["action"]]
        if needs not in attrs:
            raise serializers.ValidationError({needs: [serializers.Field.default_error_messages["required"]]})
        return attrs


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Case.objects.select_related("platform", "owner").annotate(
        item_count=Count("memberships", filter=Q(memberships__removed_at__isnull=True))
    )
    serializer_class = CaseSerializer
    filterset_class = CaseFilter
    ordering_fields = ["opened_at"]  # served by an index ending in id
    ordering = ["-opened_at", "-id"]

    @extend_schema(request=OpenCaseSerializer, responses={201: CaseSerializer})
    def create(self, request):
        data = validated(OpenCaseSerializer, request.data)
        case = case_services.open_case(
            actor=request.user,
            platform=data["platform"],
            title=data["title"],
            description=data.get("description", ""),
            owner=data.get("owner"),
            items=data.get("items", []),
        )
        return Response(self._shape(case), status=status.HTTP_201_CREATED)

    @extend_schema(request=EditCaseSerializer, responses=CaseSerializer)
    def partial_update(self, request, pk=None):
        data = validated(EditCaseSerializer, request.data)
        reason = data.pop("reason", "")
        case = case_services.edit_case(self.get_object(), actor=request.user, reason=reason, **data)
        return Response(self._shape(case))

    @extend_schema(request=CaseItemsSerializer, responses=FlaggedItemSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def items(self, request, pk=None):
        case = self.get_object()
        if request.method == "POST":
            data = validated(CaseItemsSerializer, request.data)
            case_services.add_items(case, items=data["items"], actor=request.user)
        rows = FlaggedItemViewSet.queryset.filter(
            memberships__case=case, memberships__removed_at__isnull=True
        ).order_by("-logged_at", "-id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(FlaggedItemSerializer(page, many=True).data)

    @extend_schema(request=RemoveCaseItemSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"], url_path="remove-item")
    def remove_item(self, request, pk=None):
        data = validated(RemoveCaseItemSerializer, request.data)
        case = self.get_object()
        case_services.remove_item(case, item=data["item"], actor=request.user, reason=data["reason"])
        return Response(self._shape(case))

    @extend_schema(request=CaseTransitionSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        data = validated(CaseTransitionSerializer, request.data)
        case = case_services.change_case_status(
            self.get_object(), to_status=data["status"], actor=request.user, reason=data.get("reason", "")
        )
        return Response(self._shape(case))

    @extend_schema(request=BulkCasesInput, responses=BulkResultSerializer)
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        """Act on up to 10,000 selected cases (or add selected items to one case), each by the per-case rules."""
        require_permission(request.user, "tracker.change_case")
        data = validated(BulkCasesInput, request.data)
        actor, ids, reason = request.user, data["ids"], data.get("reason", "")
        if data["action"] == "transition":
            result = case_bulk.bulk_case_transition(actor=actor, ids=ids, to_status=data["status"], reason=reason)
        elif data["action"] == "assign":
            result = case_bulk.bulk_assign_owner(actor=actor, ids=ids, owner=data["owner"], reason=reason)
        else:
            result = case_bulk.bulk_add_to_case(actor=actor, case=data["case"], ids=ids)
        return Response(result.as_dict())

    @extend_schema(responses=TimelineEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        events = case_timeline(self.get_object())
        return Response(TimelineEventSerializer(events, many=True).data)

    def _shape(self, case):
        return CaseSerializer(self.get_queryset().get(pk=case.pk)).data
