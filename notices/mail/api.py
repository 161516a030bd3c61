"""API of inbound email: list and read it, upload raw messages, attach one to a notice or dismiss it."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from notices import inbound
from notices.models import DeliveryReport, InboundMail
from tracker.core.errors import DomainError
from tracker.core.inputs import InputSerializer
from tracker.core.parsers import JSONParser
from tracker.core.rest import BulkResultSerializer, bulk_ids_field

from . import bulk as mail_bulk
from .filters import InboundMailFilter
from .views import check_file, raw_download_response, read_upload, triage_first


class DeliveryReportSerializer(serializers.ModelSerializer):
    recipient = serializers.CharField(source="delivery.recipient", read_only=True)

    class Meta:
        model = DeliveryReport
        fields = ["id", "delivery", "recipient", "action", "status", "diagnostic", "reported_at"]
        read_only_fields = fields


class InboundMailSerializer(serializers.ModelSerializer):
    notice = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    handled_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    counts_as_answer = serializers.BooleanField(read_only=True)
    raw = serializers.SerializerMethodField()

    class Meta:
        model = InboundMail
        fields = [
            "id", "received_at", "source", "mailbox", "imap_uid", "uploaded_by", "kind", "why", "counts_as_answer",
            "message_id", "date", "subject", "from_address", "from_name", "notice", "matched_by", "state",
            "triage_reason", "handled_by", "handled_at", "handling_note", "size", "sha256", "raw",
        ]  # fmt: skip
        read_only_fields = fields

    def get_raw(self, mail) -> str:
        request = self.context.get("request")
        path = f"/api/v1/inbound-mail/{mail.pk}/raw/"
        return request.build_absolute_uri(path) if request else path


class InboundMailDetailSerializer(InboundMailSerializer):
    delivery_reports = DeliveryReportSerializer(many=True, read_only=True)

    class Meta(InboundMailSerializer.Meta):
        fields = [*InboundMailSerializer.Meta.fields, "text", "defects", "delivery_reports"]
        read_only_fields = fields


class UploadInput(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), help_text="raw RFC 822 messages (.eml)", min_length=1
    )


class UploadResult(serializers.Serializer):
    name = serializers.CharField()
    duplicate = serializers.BooleanField()
    outcome = serializers.CharField()
    inbound_mail = InboundMailSerializer()


class MatchInput(InputSerializer):
    reference = serializers.CharField(max_length=20, help_text="the notice's reference, e.g. TKD/2017/000123")
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class DismissInput(InputSerializer):
    note = serializers.CharField(max_length=5000, help_text="why nothing needs to be done with it")


class CanTriage(BasePermission):
    """Reading needs view_inboundmail; uploading, attaching and dismissing triage_inboundmail."""

    def has_permission(self, request, view):
        needed = (
            "notices.view_inboundmail" if request.method in ("GET", "HEAD", "OPTIONS") else "notices.triage_inboundmail"
        )
        return request.user.has_perm(needed)


class BulkMailInput(InputSerializer):
    """A bulk action on selected emails: `dismiss` (needs `note`) or `match` to the notice `reference`."""

    action = serializers.ChoiceField(choices=["dismiss", "match"])
    ids = bulk_ids_field()
    reference = serializers.CharField(required=False, max_length=64)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def validate(self, attrs):
        needs = {"dismiss": "note", "match": "reference"}[attrs["action"]]
        if not attrs.get(needs):
            raise serializers.ValidationError({needs: [serializers.Field.default_error_messages["required"]]})
        return attrs


class InboundMailViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Email that reached the notices mailbox, the triage queue first."""

    queryset = InboundMail.objects.select_related("notice", "uploaded_by", "handled_by")
    permission_classes = [IsAuthenticated, CanTriage]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_class = InboundMailFilter
    ordering_fields = ["received_at"]  # served by an index ending in id

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            return triage_first(queryset.defer("text"))
        return queryset.prefetch_related("delivery_reports__delivery")

    def get_serializer_class(self):
        return InboundMailDetailSerializer if self.action != "list" else InboundMailSerializer

    @extend_schema(request={"multipart/form-data": UploadInput}, responses={201: UploadResult(many=True)})
    @action(detail=False, methods=["post"])
    def upload(self, request):
        """Upload one or more raw messages (field `files`); each is refused whole or kept whole."""
        files = request.FILES.getlist("files") or request.FILES.getlist("file")
        if not files:
            message = _("Send one or more raw messages in the field files.")
            raise DomainError(message, fields={"files": [message]})
        # Every file is checked before any is kept, so a refused upload can be sent again as it is; each is
        # then read and kept one at a time, never all of them in memory at once.
        problems = []
        for upload in files:
            try:
                check_file(upload)
            except DomainError as exc:
                problems.append(exc.message)
        if problems:
            raise DomainError(problems[0], fields={"files": problems})
        results = []
        for upload in files:
            mail = inbound.ingest_message(read_upload(upload), source=InboundMail.Source.UPLOAD, actor=request.user)
            results.append(
                {
                    "name": upload.name,
                    "duplicate": mail.duplicate,
                    "outcome": inbound.outcome_of(mail),
                    "inbound_mail": InboundMailSerializer(mail, context={"request": request}).data,
                }
            )
        any_new = any(not result["duplicate"] for result in results)
        return Response(results, status=status.HTTP_201_CREATED if any_new else status.HTTP_200_OK)

    @extend_schema(request=MatchInput, responses={200: InboundMailDetailSerializer})
    @action(detail=True, methods=["post"])
    def match(self, request, pk=None):
        data = MatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        notice = inbound.notice_by_reference(data.validated_data["reference"])
        mail = inbound.match_inbound_mail(
            inbound=self.get_object(), notice=notice, actor=request.user, note=data.validated_data.get("note", "")
        )
        return Response(InboundMailDetailSerializer(self.get_queryset().get(pk=mail.pk)).data)

    @extend_schema(request=DismissInput, responses={200: InboundMailDetailSerializer})
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        data = DismissInput(data=request.data)
        data.is_valid(raise_exception=True)
        mail = inbound.dismiss_inbound_mail(
            inbound=self.get_object(), actor=request.user, note=data.validated_data["note"]
        )
        return Response(InboundMailDetailSerializer(self.get_queryset().get(pk=mail.pk)).data)

    @extend_schema(request=BulkMailInput, responses=BulkResultSerializer)
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        """Dismiss, or attach to one notice, up to 10,000 selected emails, each by the per-message rules."""
        data = BulkMailInput(data=request.data)
        data.is_valid(raise_exception=True)
        data = data.validated_data
        if data["action"] == "dismiss":
            result = mail_bulk.bulk_dismiss(actor=request.user, ids=data["ids"], note=data["note"])
        else:
            result = mail_bulk.bulk_match(
                actor=request.user, ids=data["ids"], reference=data["reference"], note=data.get("note", "")
            )
        return Response(result.as_dict())

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(description="the raw message")})
    @action(detail=True)
    def raw(self, request, pk=None):
        return raw_download_response(self.get_object(), reader=request.user)
