"""API of the contact log: a case's contacts with the platform outside the notices, and their attachments.

Whoever reads cases reads the log (`notices.view_contactentry`); liaison officers and supervisors log
(`notices.add_contactentry`, checked here before the body is read and again by the service). Entries are
never changed or deleted: there is no such route; a correction is a new entry with `corrects`.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from tracker.cases.models import Case
from tracker.core.errors import require_permission
from tracker.core.inputs import InputSerializer
from tracker.core.parsers import JSONParser
from tracker.core.rest import validated

from . import contacts
from .contact_views import contact_attachment_response
from .models import ContactAttachment, ContactEntry

MAX_ATTACHMENTS = 20


class CanReadContactLog(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.has_perm("notices.view_contactentry"))


class ContactAttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    sha256 = serializers.CharField(source="file.sha256")
    size = serializers.IntegerField(source="file.size")
    content_type = serializers.CharField(source="file.content_type")
    download = serializers.SerializerMethodField()

    def get_download(self, attachment) -> str:
        path = f"/api/v1/contact-log/attachments/{attachment.pk}/download/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ContactEntrySerializer(serializers.ModelSerializer):
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    ministry_participants = serializers.ListField(child=serializers.CharField(), read_only=True)
    platform_participants = serializers.ListField(child=serializers.CharField(), read_only=True)
    corrected_by = serializers.SerializerMethodField(help_text="the entries that correct this one")
    attachments = ContactAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = ContactEntry
        fields = [
            "id", "case", "kind", "occurred_at", "ministry_participants", "platform_participants", "summary",
            "corrects", "corrected_by", "recorded_by", "recorded_at", "attachments",
        ]  # fmt: skip

    def get_corrected_by(self, entry) -> list[int]:
        return [correction.pk for correction in entry.corrections.all()]


class ContactEntryInput(InputSerializer):
    case = serializers.PrimaryKeyRelatedField(queryset=Case.objects.all())
    kind = serializers.ChoiceField(choices=ContactEntry.Kind.choices)
    occurred_at = serializers.DateTimeField(help_text="when it happened; may lie in the past, not ahead")
    summary = serializers.CharField(max_length=20000)
    ministry_participants = serializers.ListField(
        child=serializers.CharField(allow_blank=True), required=False, default=list, help_text="names, one each"
    )
    platform_participants = serializers.ListField(
        child=serializers.CharField(allow_blank=True), required=False, default=list, help_text="names, one each"
    )
    corrects = serializers.PrimaryKeyRelatedField(
        queryset=ContactEntry.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="the earlier entry of the same case this one corrects",
    )
    attachments = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list, max_length=MAX_ATTACHMENTS
    )


class ContactEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The contact log: `?case=` gives one case's, in the order the contacts happened. POST logs one."""

    queryset = contacts.contact_log()
    serializer_class = ContactEntrySerializer
    permission_classes = [IsAuthenticated, CanReadContactLog]
    filterset_fields = ["case", "kind"]
    ordering_fields = ["occurred_at", "recorded_at"]
    ordering = ["occurred_at", "id"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request={"application/json": ContactEntryInput, "multipart/form-data": ContactEntryInput},
        responses={
            201: ContactEntrySerializer,
            400: OpenApiResponse(description="invalid input (a field not taken here, a time ahead, a bad file)"),
            403: OpenApiResponse(description="not allowed to log contacts"),
        },
    )
    def create(self, request):
        require_permission(request.user, "notices.add_contactentry")
        data = validated(ContactEntryInput, request.data)
        if hasattr(request.data, "getlist"):
            # A multipart body with several files under one name: DRF's ListField sees only what getlist gives.
            data["attachments"] = request.FILES.getlist("attachments")[:MAX_ATTACHMENTS]
        entry = contacts.record_contact(actor=request.user, **data)
        shown = self.get_queryset().get(pk=entry.pk)
        return Response(self.get_serializer(shown).data, status=status.HTTP_201_CREATED)


class ContactAttachmentViewSet(viewsets.GenericViewSet):
    """A contact log entry's attachment: `download` gives the stored file; who read it is audited."""

    queryset = ContactAttachment.objects.select_related("file")
    permission_classes = [IsAuthenticated, CanReadContactLog]

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(description="the stored file, as an attachment"),
            403: OpenApiResponse(description="not allowed to read the contact log"),
            404: OpenApiResponse(description="no such attachment"),
        }
    )
    @action(detail=True)
    def download(self, request, pk=None):
        require_permission(request.user, "notices.view_contactattachment")
        return contact_attachment_response(self.get_object(), reader=request.user)
