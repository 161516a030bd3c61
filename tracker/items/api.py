"""API of flagged items and categories."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from platforms.models import Platform
from tracker.core.errors import require_permission
from tracker.core.inputs import InputSerializer
from tracker.core.parsers import JSONParser
from tracker.core.rest import BulkResultSerializer, bulk_ids_field, validated, values_reader
from tracker.evidence import services as evidence_services
from tracker.evidence.api import EvidenceSerializer, EvidenceUploadSerializer
from tracker.items import bulk as item_bulk
from tracker.items import services as item_services
from tracker.items.filters import FlaggedItemFilter
from tracker.items.models import Category, FlaggedItem, Sighting, Urgency


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = list(item_services.CATEGORY_FIELDS)


class CategoryChangeInput(InputSerializer):
    slug = serializers.SlugField(max_length=50, required=False)
    name = serializers.CharField(max_length=100, required=False)
    legal_basis = serializers.CharField(required=False)
    default_urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    is_active = serializers.BooleanField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, help_text="for the audit trail")


class CategoryCreateInput(CategoryChangeInput):
    slug = serializers.SlugField(max_length=50, required=False, help_text="made from the name if not given")
    name = serializers.CharField(max_length=100)
    legal_basis = serializers.CharField()
    default_urgency = serializers.ChoiceField(choices=Urgency.choices)


class CategoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The managed list of categories: everyone who reads items reads it; administrators add to it (POST) and
    change a category (PATCH), as in the admin. A category is retired with `is_active: false`, never deleted."""

    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    lookup_field = "slug"
    filterset_fields = ["is_active", "default_urgency"]

    @extend_schema(request=CategoryCreateInput, responses={201: CategorySerializer})
    def create(self, request):
        data = validated(CategoryCreateInput, request.data)
        category = item_services.create_category(actor=request.user, **data)
        return Response(CategorySerializer(category).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CategoryChangeInput, responses=CategorySerializer)
    def partial_update(self, request, slug=None):
        category = self.get_object()
        data = validated(CategoryChangeInput, request.data)
        category = item_services.change_category(category, actor=request.user, **data)
        return Response(CategorySerializer(category).data)


class FlaggedItemSerializer(serializers.ModelSerializer):
    platform = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    logged_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    verified_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = FlaggedItem
        fields = [
            "id", "canonical", "display", "entered_as", "kind", "platform", "host", "category", "urgency",
            "source", "language", "description", "status", "logged_by", "logged_at", "verified_by", "verified_at",
            "status_changed_at", "sighting_count", "last_reported_at",
        ]  # fmt: skip
        read_only_fields = fields


class LogItemSerializer(InputSerializer):
    url = serializers.CharField(max_length=4096, trim_whitespace=False, help_text="a URL or @handle")
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.filter(is_active=True))
    source = serializers.ChoiceField(choices=FlaggedItem.Source.choices)
    urgency = serializers.ChoiceField(choices=FlaggedItem._meta.get_field("urgency").choices, required=False)
    language = serializers.CharField(max_length=16, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    platform = serializers.SlugRelatedField(
        slug_field="slug", queryset=Platform.objects.all(), required=False, help_text="the platform of an @handle"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class EditItemSerializer(InputSerializer):
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.filter(is_active=True), required=False
    )
    urgency = serializers.ChoiceField(choices=FlaggedItem._meta.get_field("urgency").choices, required=False)
    language = serializers.CharField(max_length=16, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class TransitionSerializer(InputSerializer):
    status = serializers.ChoiceField(choices=FlaggedItem.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ReasonSerializer(InputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class BulkItemsInput(InputSerializer):
    """A bulk action on selected items: `verify`, `transition` (needs `status`) or `category` (needs `category`)."""

    action = serializers.ChoiceField(choices=["verify", "transition", "category"])
    ids = bulk_ids_field()
    status = serializers.ChoiceField(choices=FlaggedItem.Status.choices, required=False)
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.all(), required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def validate(self, attrs):
        needs = {"transition": "status", "category": "category"}.get(attrs["action"])
        if needs and needs not in attrs:
            raise serializers.ValidationError({needs: [serializers.Field.default_error_messages["required"]]})
        return attrs


class SightingSerializer(serializers.ModelSerializer):
    reported_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Sighting
        fields = ["id", "entered_as", "source", "reported_by", "reported_at", "note", "item_import"]


class FlaggedItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Flagged items. POST logs one: 201 when new, 200 with `merged: true` when it was already known."""

    queryset = FlaggedItem.objects.select_related("platform", "category", "logged_by", "verified_by")
    serializer_class = FlaggedItemSerializer
    filterset_class = FlaggedItemFilter
    ordering_fields = ["logged_at", "last_reported_at"]  # each served by an index ending in id
    ordering = ["-logged_at", "-id"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def list(self, request, *args, **kwargs):
        # Plain rows, not model instances through the serializer: the same JSON at near the bare query's
        # cost (tests/bench/test_list_bench.py).
        self.page_values, shape_rows = values_reader(FlaggedItemSerializer)
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(shape_rows(page))

    @extend_schema(request=LogItemSerializer, responses={201: FlaggedItemSerializer, 200: FlaggedItemSerializer})
    def create(self, request):
        data = validated(LogItemSerializer, request.data)
        item, created = item_services.log_item(
            actor=request.user,
            url=data["url"],
            category=data["category"],
            source=data["source"],
            urgency=data.get("urgency", ""),
            language=data.get("language", ""),
            description=data.get("description", ""),
            handle_platform=data.get("platform"),
            note=data.get("note", ""),
        )
        body = {**self._shape(item), "merged": not created}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=EditItemSerializer, responses=FlaggedItemSerializer)
    def partial_update(self, request, pk=None):
        item = self.get_object()
        data = validated(EditItemSerializer, request.data)
        reason = data.pop("reason", "")
        item = item_services.edit_item(item, actor=request.user, reason=reason, **data)
        return Response(self._shape(item))

    @extend_schema(request=ReasonSerializer, responses=FlaggedItemSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        item = item_services.verify_item(
            self.get_object(), actor=request.user, reason=validated(ReasonSerializer, request.data).get("reason", "")
        )
        return Response(self._shape(item))

    @extend_schema(request=TransitionSerializer, responses=FlaggedItemSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        data = validated(TransitionSerializer, request.data)
        require_permission(request.user, "tracker.change_flaggeditem")
        item = item_services.change_item_status(
            self.get_object(), to_status=data["status"], actor=request.user, reason=data.get("reason", "")
        )
        return Response(self._shape(item))

    @extend_schema(request=BulkItemsInput, responses=BulkResultSerializer)
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        """Act on up to 10,000 selected items at once, each by the per-item rules and audited per item."""
        require_permission(request.user, "tracker.change_flaggeditem")
        data = validated(BulkItemsInput, request.data)
        reason = data.get("reason", "")
        if data["action"] == "verify":
            result = item_bulk.bulk_verify(actor=request.user, ids=data["ids"], reason=reason)
        elif data["action"] == "transition":
            result = item_bulk.bulk_transition(
                actor=request.user, ids=data["ids"], to_status=data["status"], reason=reason
            )
        else:
            result = item_bulk.bulk_change_category(
                actor=request.user, ids=data["ids"], category=data["category"], reason=reason
            )
        return Response(result.as_dict())

    @extend_schema(responses=SightingSerializer(many=True))
    @action(detail=True, methods=["get"])
    def sightings(self, request, pk=None):
        item = self.get_object()
        page = self.paginate_queryset(item.sightings.select_related("reported_by").order_by("reported_at", "id"))
        return self.get_paginated_response(SightingSerializer(page, many=True).data)

    @extend_schema(request={"multipart/form-data": EvidenceUploadSerializer}, responses=EvidenceSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def evidence(self, request, pk=None):
        item = self.get_object()
        if request.method == "POST":
            data = validated(EvidenceUploadSerializer, request.data)
            evidence, created = evidence_services.attach_evidence(
                actor=request.user,
                item=item,
                uploaded_file=data["file"],
                captured_at=data.get("captured_at"),
                description=data.get("description", ""),
                supersedes=data.get("supersedes"),
            )
            body = {**EvidenceSerializer(evidence, context={"request": request}).data, "already_attached": not created}
            return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
        rows = item.evidence.select_related("file", "captured_by")
        return Response(EvidenceSerializer(rows, many=True, context={"request": request}).data)

    def _shape(self, item):
        item = self.get_queryset().get(pk=item.pk)
        return FlaggedItemSerializer(item, context={"request": self.request}).data
