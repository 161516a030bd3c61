"""API of bulk imports: start one (a file, a list of URLs or a text), follow its progress, read its rejections."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from platforms.models import Platform
from tracker.cases.models import Case
from tracker.core.inputs import InputSerializer
from tracker.core.parsers import JSONParser
from tracker.imports.models import ImportRejection, ItemImport
from tracker.items.models import Category, FlaggedItem

from . import services


class ItemImportSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    category = serializers.SlugRelatedField(source="default_category", slug_field="slug", read_only=True)
    source = serializers.CharField(source="default_source", read_only=True)
    platform = serializers.SlugRelatedField(source="default_platform", slug_field="slug", read_only=True)
    percent_done = serializers.IntegerField(read_only=True)

    class Meta:
        model = ItemImport
        fields = [
            "id", "status", "source_name", "created_by", "created_at", "category", "source", "platform", "case",
            "total_rows", "processed_rows", "percent_done", "imported_count", "merged_count", "rejected_count",
            "started_at", "finished_at", "error",
        ]  # fmt: skip
        read_only_fields = fields


class ImportRejectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRejection
        fields = ["line", "value", "reason"]


class ImportInput(InputSerializer):
    file = serializers.FileField(required=False, help_text="a CSV (header: url, …) or a .txt list")
    urls = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        max_length=settings.IMPORT_MAX_ROWS,
        help_text="addresses or @handles, one per entry",
    )
    text = serializers.CharField(required=False, trim_whitespace=False, help_text="one address or @handle a line")
    category = serializers.SlugRelatedField(slug_field="slug", queryset=Category.objects.filter(is_active=True))
    source = serializers.ChoiceField(choices=FlaggedItem.Source.choices)
    platform = serializers.SlugRelatedField(
        slug_field="slug", queryset=Platform.objects.all(), required=False, allow_null=True
    )
    case = serializers.PrimaryKeyRelatedField(queryset=Case.objects.all(), required=False, allow_null=True)

    def validate(self, data):
        given = [name for name in ("file", "urls", "text") if data.get(name) not in (None, "", [])]
        if len(given) != 1:
            raise serializers.ValidationError({"file": ["Send exactly one of file, urls or text."]})
        return data


class CanImport(BasePermission):
    """Reading imports needs view_flaggeditem; starting one add_flaggeditem (the service checks again)."""

    def has_permission(self, request, view):
        needed = (
            "tracker.view_flaggeditem" if request.method in ("GET", "HEAD", "OPTIONS") else "tracker.add_flaggeditem"
        )
        return request.user.has_perm(needed)


class ItemImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Bulk imports of flagged items. POST answers 202: the rows are imported by a background task."""

    queryset = ItemImport.objects.select_related("created_by", "default_category", "default_platform")
    serializer_class = ItemImportSerializer
    permission_classes = [IsAuthenticated, CanImport]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["status"]

    @extend_schema(request=ImportInput, responses={202: ItemImportSerializer})
    def create(self, request):
        data = ImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values.get("file"):
            source = {"uploaded_file": values["file"]}
        elif values.get("urls"):
            # One entry, one line: a line break inside an entry must not make two rows of it.
            source = {"text": "\n".join(url.replace("\r", " ").replace("\n", " ") for url in values["urls"])}
        else:
            source = {"text": values["text"]}
        item_import = services.create_import(
            actor=request.user,
            default_category=values["category"],
            default_source=values["source"],
            default_platform=values.get("platform"),
            case=values.get("case"),
            **source,
        )
        return Response(ItemImportSerializer(item_import).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=ImportRejectionSerializer(many=True))
    @action(detail=True)
    def rejections(self, request, pk=None):
        rejections = self.get_object().rejections.order_by("line", "id")
        page = self.paginate_queryset(rejections)
        return self.get_paginated_response(ImportRejectionSerializer(page, many=True).data)
