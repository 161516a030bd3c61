"""API of flagged items, their sightings and evidence, cases and categories.

Serializers validate and shape; every write goes through tracker/services, the same
functions the UI calls.
"""

from django.db.models import Count, Q
from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from platforms.models import Platform
from tracker.errors import require_permission
from tracker.models import Case, Category, Evidence, FlaggedItem, Sighting, User
from tracker.services import cases as case_services
from tracker.services import evidence as evidence_services
from tracker.services import items as item_services
from tracker.timeline import case_timeline

from .filters import CaseFilter, FlaggedItemFilter


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["slug", "name", "legal_basis", "default_urgency", "is_active"]


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The managed list of categories (administrators manage it in the admin)."""

    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    lookup_field = "slug"
    filterset_fields = ["is_active", "default_urgency"]


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


class LogItemSerializer(serializers.Serializer):
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


class EditItemSerializer(serializers.Serializer):
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.filter(is_active=True), required=False
    )
    urgency = serializers.ChoiceField(choices=FlaggedItem._meta.get_field("urgency").choices, required=False)
    language = serializers.CharField(max_length=16, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=FlaggedItem.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SightingSerializer(serializers.ModelSerializer):
    reported_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Sighting
        fields = ["id", "entered_as", "source", "reported_by", "reported_at", "note", "item_import"]


class EvidenceSerializer(serializers.ModelSerializer):
    sha256 = serializers.CharField(source="file.sha256", read_only=True)
    size = serializers.IntegerField(source="file.size", read_only=True)
    content_type = serializers.CharField(source="file.content_type", read_only=True)
    captured_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id", "item", "original_name", "description", "sha256", "size", "content_type", "captured_at",
            "captured_by", "attached_at", "supersedes", "download",
        ]  # fmt: skip

    def get_download(self, evidence) -> str:
        request = self.context.get("request")
        path = f"/api/v1/evidence/{evidence.pk}/download/"
        return request.build_absolute_uri(path) if request else path


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    captured_at = serializers.DateTimeField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    supersedes = serializers.PrimaryKeyRelatedField(queryset=Evidence.objects.all(), required=False)


class FlaggedItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Flagged items. POST logs one: 201 when new, 200 with `merged: true` when it was already known."""

    queryset = FlaggedItem.objects.select_related("platform", "category", "logged_by", "verified_by")
    serializer_class = FlaggedItemSerializer
    filterset_class = FlaggedItemFilter
    ordering_fields = ["logged_at", "last_reported_at", "sighting_count", "status_changed_at"]
    ordering = ["-logged_at", "-id"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(request=LogItemSerializer, responses={201: FlaggedItemSerializer, 200: FlaggedItemSerializer})
    def create(self, request):
        data = _valid(LogItemSerializer, request.data)
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
        data = _valid(EditItemSerializer, request.data)
        reason = data.pop("reason", "")
        item = item_services.edit_item(item, actor=request.user, reason=reason, **data)
        return Response(self._shape(item))

    @extend_schema(request=ReasonSerializer, responses=FlaggedItemSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        item = item_services.verify_item(
            self.get_object(), actor=request.user, reason=_valid(ReasonSerializer, request.data).get("reason", "")
        )
        return Response(self._shape(item))

    @extend_schema(request=TransitionSerializer, responses=FlaggedItemSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        data = _valid(TransitionSerializer, request.data)
        require_permission(request.user, "tracker.change_flaggeditem")
        item = item_services.change_item_status(
            self.get_object(), to_status=data["status"], actor=request.user, reason=data.get("reason", "")
        )
        return Response(self._shape(item))

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
            data = _valid(EvidenceUploadSerializer, request.data)
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


class EvidenceViewSet(viewsets.ReadOnlyModelViewSet):
    """Evidence as attached; nothing changes or deletes it. `download` returns the stored bytes."""

    queryset = Evidence.objects.select_related("file", "captured_by")
    serializer_class = EvidenceSerializer
    filterset_fields = ["item"]

    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        return evidence_download_response(self.get_object())


def evidence_download_response(evidence: Evidence) -> FileResponse:
    """The file as an attachment: a saved HTML page must never run in the tracker's own origin."""
    content_type = evidence.file.content_type
    response = FileResponse(
        evidence_services.open_evidence(evidence),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=content_type if content_type.startswith("image/") else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Evidence-SHA256"] = evidence.file.sha256
    return response


class CaseSerializer(serializers.ModelSerializer):
    platform = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Case
        fields = ["id", "title", "platform", "owner", "status", "description", "opened_at", "closed_at", "item_count"]
        read_only_fields = fields


class OpenCaseSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    platform = serializers.SlugRelatedField(slug_field="slug", queryset=Platform.objects.all())
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    owner = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all(), required=False)
    items = serializers.PrimaryKeyRelatedField(queryset=FlaggedItem.objects.all(), many=True, required=False)


class EditCaseSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    owner = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all(), required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class CaseItemsSerializer(serializers.Serializer):
    items = serializers.PrimaryKeyRelatedField(queryset=FlaggedItem.objects.all(), many=True, allow_empty=False)


class RemoveCaseItemSerializer(serializers.Serializer):
    item = serializers.PrimaryKeyRelatedField(queryset=FlaggedItem.objects.all())
    reason = serializers.CharField(max_length=2000)


class CaseTransitionSerializer(serializers.Serializer):
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


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = Case.objects.select_related("platform", "owner").annotate(
        item_count=Count("memberships", filter=Q(memberships__removed_at__isnull=True))
    )
    serializer_class = CaseSerializer
    filterset_class = CaseFilter
    ordering_fields = ["opened_at", "closed_at", "title"]
    ordering = ["-opened_at", "-id"]

    @extend_schema(request=OpenCaseSerializer, responses={201: CaseSerializer})
    def create(self, request):
        data = _valid(OpenCaseSerializer, request.data)
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
        data = _valid(EditCaseSerializer, request.data)
        reason = data.pop("reason", "")
        case = case_services.edit_case(self.get_object(), actor=request.user, reason=reason, **data)
        return Response(self._shape(case))

    @extend_schema(request=CaseItemsSerializer, responses=FlaggedItemSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def items(self, request, pk=None):
        case = self.get_object()
        if request.method == "POST":
            data = _valid(CaseItemsSerializer, request.data)
            case_services.add_items(case, items=data["items"], actor=request.user)
        rows = FlaggedItemViewSet.queryset.filter(
            memberships__case=case, memberships__removed_at__isnull=True
        ).order_by("-logged_at", "-id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(FlaggedItemSerializer(page, many=True).data)

    @extend_schema(request=RemoveCaseItemSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"], url_path="remove-item")
    def remove_item(self, request, pk=None):
        data = _valid(RemoveCaseItemSerializer, request.data)
        case = self.get_object()
        case_services.remove_item(case, item=data["item"], actor=request.user, reason=data["reason"])
        return Response(self._shape(case))

    @extend_schema(request=CaseTransitionSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        data = _valid(CaseTransitionSerializer, request.data)
        case = case_services.change_case_status(
            self.get_object(), to_status=data["status"], actor=request.user, reason=data.get("reason", "")
        )
        return Response(self._shape(case))

    @extend_schema(responses=TimelineEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        events = case_timeline(self.get_object())
        return Response(TimelineEventSerializer(events, many=True).data)

    def _shape(self, case):
        return CaseSerializer(self.get_queryset().get(pk=case.pk)).data


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
