"""API of notices, their replies and rebuttals, sanctions and a user's notifications.

Serializers validate and shape; every write is the same service call the pages make, and the services
check the permission each write needs (sending, recording, deciding), whatever the door.
"""

import json

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from tracker.cases.models import Case
from tracker.core import pdf
from tracker.core.errors import DomainError, require_permission
from tracker.core.inputs import InputSerializer
from tracker.core.parsers import JSONParser
from tracker.core.rest import LETTER_RESPONSES, BulkResultSerializer, DocumentNegotiation, bulk_ids_field, validated
from tracker.items.models import FlaggedItem

from . import bulk as notice_bulk
from . import letters, rechecks, replies, selectors, sending
from . import rebuttals as rebuttal_services
from . import sanctions as sanction_services
from .filters import NoticeFilter, NotificationFilter, SanctionFilter
from .models import (
    ContentCheck,
    Delivery,
    DeliveryAttempt,
    DeliveryReport,
    EscalationStep,
    InboundMail,
    Notice,
    NoticeItem,
    Notification,
    PlatformReply,
    Rebuttal,
    Sanction,
)
from .views import delivery_message_response, waiting_for_queue

MAX_ATTACHMENTS = 20


class CanViewNotices(BasePermission):
    """Reading notices; what a write needs beyond that, its service checks."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.has_perm("notices.view_notice"))


class CanViewSanctions(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.has_perm("notices.view_sanction"))


# --- output ---------------------------------------------------------------------------------------


class NoticeItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = NoticeItem
        fields = [
            "item", "canonical", "display", "category", "legal_basis", "urgency", "outcome", "outcome_reason",
            "outcome_at", "reply", "borne_out",
        ]  # fmt: skip


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ["started_at", "finished_at", "result", "detail"]


class DeliveryEvidenceReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryReport
        fields = ["action", "status", "diagnostic", "reported_at", "inbound_mail"]


class DeliverySerializer(serializers.ModelSerializer):
    attempts_made = DeliveryAttemptSerializer(many=True, read_only=True)
    reports = DeliveryEvidenceReportSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id", "recipient", "sender", "message_id", "sha256", "state", "attempts", "accepted_at", "server_reply",
            "error", "needs_check", "attempts_made", "reports",
        ]  # fmt: skip


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    sha256 = serializers.CharField(source="file.sha256")
    size = serializers.IntegerField(source="file.size")
    content_type = serializers.CharField(source="file.content_type")


class PlatformReplySerializer(serializers.ModelSerializer):
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    late_by_seconds = serializers.SerializerMethodField(
        help_text="a late reply: seconds between the notice's deadline and its arrival (negative: it arrived in "
        "time but was recorded after the notice lapsed); null otherwise"
    )

    class Meta:
        model = PlatformReply
        fields = [
            "id", "notice", "received_at", "channel", "summary", "recorded_by", "recorded_at", "recorded_afterwards",
            "late", "late_by_seconds", "inbound_mail", "attachments",
        ]  # fmt: skip

    def get_late_by_seconds(self, reply) -> int | None:
        late_by = reply.late_by
        return None if late_by is None else int(late_by.total_seconds())


class NoticeSerializer(serializers.ModelSerializer):
    case = serializers.PrimaryKeyRelatedField(read_only=True)
    platform = serializers.SlugRelatedField(source="case.platform", slug_field="slug", read_only=True)
    step = serializers.CharField(source="step.name", read_only=True)
    step_position = serializers.IntegerField(source="step.position", read_only=True)
    step_kind = serializers.ChoiceField(source="step.kind", choices=EscalationStep.Kind.choices, read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Notice
        fields = [
            "id", "reference", "case", "platform", "step", "step_position", "step_kind", "status", "urgency",
            "language", "recipients", "subject", "deadline_at", "deadline_rule", "prepared_at", "sent_at",
            "sent_by_label", "answered_at", "lapsed_at", "recorded_afterwards", "recorded_by", "recorded_at",
            "beyond_ladder", "previous", "overdue",
        ]  # fmt: skip

    def get_overdue(self, notice) -> bool:
        return notice.is_overdue()


class NoticeDetailSerializer(NoticeSerializer):
    items = NoticeItemSerializer(source="notice_items", many=True, read_only=True)
    deliveries = serializers.SerializerMethodField(help_text="null without the permission to see delivery evidence")
    replies = PlatformReplySerializer(many=True, read_only=True)

    class Meta(NoticeSerializer.Meta):
        fields = [*NoticeSerializer.Meta.fields, "body", "legal_basis", "items", "deliveries", "replies"]

    @extend_schema_field(DeliverySerializer(many=True, allow_null=True))
    def get_deliveries(self, notice):
        request = self.context.get("request")
        if request is None or not request.user.has_perm("notices.view_delivery"):
            return None
        return DeliverySerializer(notice.deliveries.all(), many=True).data


class NoticeWaitingForQueueSerializer(NoticeDetailSerializer):
    """A notice sent while the mail queue was down: committed, its deliveries queued for the sweep."""

    message = serializers.SerializerMethodField()

    class Meta(NoticeDetailSerializer.Meta):
        fields = [*NoticeDetailSerializer.Meta.fields, "message"]

    def get_message(self, notice) -> str:
        return waiting_for_queue(notice)


class RebuttalSerializer(serializers.ModelSerializer):
    notice = serializers.IntegerField(source="notice_item.notice_id", read_only=True)
    item = serializers.IntegerField(source="notice_item.item_id", read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Rebuttal
        fields = [
            "id", "notice", "item", "notice_item", "reply", "received_at", "reasons", "recorded_by", "recorded_at",
            "decision", "decided_by", "decided_at", "decision_reason", "attachments",
        ]  # fmt: skip


class SanctionSerializer(serializers.ModelSerializer):
    notice_reference = serializers.CharField(source="notice.reference", read_only=True, default="")
    next_states = serializers.SerializerMethodField()

    class Meta:
        model = Sanction
        fields = [
            "id", "case", "notice", "notice_reference", "amount", "currency", "state", "imposed_at", "committed_at",
            "paid_at", "waived_at", "payment_reference", "note", "next_states",
        ]  # fmt: skip

    def get_next_states(self, sanction) -> list[str]:
        return Sanction.STATE_MACHINE.next_states(sanction.state)


class NotificationSerializer(serializers.ModelSerializer):
    target = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "notice", "case", "link", "target", "created_at", "read_at"]

    def get_target(self, notification) -> str:
        from .views import notification_target

        return notification_target(notification)


# --- input ----------------------------------------------------------------------------------------


class SendNoticeInput(InputSerializer):
    case = serializers.PrimaryKeyRelatedField(queryset=Case.objects.all())
    items = serializers.PrimaryKeyRelatedField(
        queryset=FlaggedItem.objects.all(), many=True, required=False, help_text="default: the case's verified items"
    )
    step = serializers.PrimaryKeyRelatedField(
        queryset=EscalationStep.objects.all(), required=False, help_text="default: the next step of the ladder"
    )


class NoticePreviewSerializer(serializers.Serializer):
    """What sending would send now; nothing is kept. `blockers` (empty when it can be sent) say why it would be
    refused when sent with the defaults."""

    step = serializers.IntegerField(source="step.pk")
    step_name = serializers.CharField(source="step.name")
    reference = serializers.CharField(help_text="the next free reference; the notice gets it if nobody sends first")
    subject = serializers.CharField()
    body = serializers.CharField()
    recipients = serializers.ListField(child=serializers.EmailField())
    deadline_at = serializers.DateTimeField(help_text="the reply deadline if sent now")
    items = serializers.SerializerMethodField()

    def get_items(self, preview) -> list[int]:
        return [item.pk for item in preview.items]


class BulkNoticesInput(InputSerializer):
    """A bulk action on selected notices: `confirm` sends the prepared ones (their deadlines run from now)."""

    action = serializers.ChoiceField(choices=["confirm"])
    ids = bulk_ids_field()


class PastNoticeInput(SendNoticeInput):
    sent_at = serializers.DateTimeField()
    recipients = serializers.ListField(
        child=serializers.EmailField(), required=False, help_text="default: the platform's active contacts"
    )
    subject = serializers.CharField(required=False, allow_blank=True, max_length=400, default="")
    body = serializers.CharField(required=False, allow_blank=True, max_length=200000, default="")
    deadline_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    sent_by_label = serializers.CharField(required=False, allow_blank=True, max_length=150, default="")


class OutcomeInput(serializers.Serializer):
    item = serializers.IntegerField(help_text="the flagged item's id")
    outcome = serializers.ChoiceField(choices=[c for c in NoticeItem.Outcome.choices if c[0]])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


@extend_schema_field(OutcomeInput(many=True))
class OutcomesField(serializers.JSONField):
    """A list of {item, outcome, reason}: JSON in a JSON body, a JSON string in a multipart upload."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if isinstance(value, str):  # multipart: the field arrives as text
            try:
                value = json.loads(value)
            except ValueError:
                raise serializers.ValidationError(_("Not JSON: give a list of {item, outcome, reason}.")) from None
        if not isinstance(value, list):
            raise serializers.ValidationError(_("Give a list of {item, outcome, reason}."))
        rows = OutcomeInput(data=value, many=True)
        rows.is_valid(raise_exception=True)
        return rows.validated_data


class ReplyInput(InputSerializer):
    received_at = serializers.DateTimeField()
    channel = serializers.ChoiceField(choices=PlatformReply.Channel.choices)
    summary = serializers.CharField(max_length=20000)
    outcomes = OutcomesField(required=False, default=list)
    recorded_afterwards = serializers.BooleanField(required=False, default=False)
    inbound_mail = serializers.PrimaryKeyRelatedField(
        queryset=InboundMail.objects.all(), required=False, allow_null=True, default=None
    )
    attachments = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list, max_length=MAX_ATTACHMENTS
    )


class RebuttalInput(InputSerializer):
    notice_item = serializers.PrimaryKeyRelatedField(
        queryset=NoticeItem.objects.select_related("notice"), required=False, help_text="the notice's item row"
    )
    item = serializers.IntegerField(required=False, help_text="or the flagged item's id, with the notice")
    received_at = serializers.DateTimeField()
    reasons = serializers.CharField(max_length=20000)
    reply = serializers.PrimaryKeyRelatedField(
        queryset=PlatformReply.objects.all(), required=False, allow_null=True, default=None
    )
    attachments = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list, max_length=MAX_ATTACHMENTS
    )


class DecideInput(InputSerializer):
    decision = serializers.ChoiceField(choices=[c for c in Rebuttal.Decision.choices if c[0]])
    reason = serializers.CharField(max_length=5000)


class SanctionTransitionInput(InputSerializer):
    to_state = serializers.ChoiceField(choices=Sanction.State.choices)
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    payment_reference = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


def _files(request, data) -> list:
    # A multipart body with several files under one name: DRF's ListField sees only what getlist gives.
    if hasattr(request.data, "getlist"):
        return [file for file in request.FILES.getlist("attachments")][:MAX_ATTACHMENTS]
    return data.get("attachments", [])


# --- views ----------------------------------------------------------------------------------------


class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Notices. POST sends the next notice of a case now; `record-past` records one sent outside the tracker."""

    queryset = selectors.notices()
    serializer_class = NoticeSerializer
    filterset_class = NoticeFilter
    ordering_fields = ["sent_at", "deadline_at", "reference"]  # each served by an index
    ordering = ["-sent_at", "-prepared_at", "-id"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_permissions(self):
        return [IsAuthenticated(), CanViewNotices()]

    def get_serializer_class(self):
        return NoticeDetailSerializer if self.action != "list" else NoticeSerializer

    def retrieve(self, request, pk=None):
        notice = self._detail(self.get_object())
        return Response(NoticeDetailSerializer(notice, context={"request": request}).data)

    @extend_schema(
        request=SendNoticeInput,
        responses={
            201: NoticeDetailSerializer,
            202: OpenApiResponse(
                NoticeWaitingForQueueSerializer,
                description="sent and saved, but the mail queue was down: the sweep sends its email later",
            ),
            400: OpenApiResponse(description="invalid input: the project's JSON error"),
            403: OpenApiResponse(description="not allowed to send notices"),
            409: OpenApiResponse(description="the ladder has no notice step left, or the case is closed"),
        },
    )
    def create(self, request):
        data = validated(SendNoticeInput, request.data)
        notice = sending.send_notice(
            case=data["case"], actor=request.user, items=data.get("items"), step=data.get("step")
        )
        return self._shape_sent(notice, status.HTTP_201_CREATED)

    @extend_schema(
        request=SendNoticeInput,
        responses={
            200: NoticePreviewSerializer,
            400: OpenApiResponse(description="invalid input: the project's JSON error"),
            403: OpenApiResponse(description="not allowed to send notices"),
            409: OpenApiResponse(description="it could not be sent: no contact, no item to cover, case closed"),
        },
    )
    @action(detail=False, methods=["post"], parser_classes=[JSONParser])
    def preview(self, request):
        """The subject, text, recipients and deadline of the notice `POST /notices/` would send now; nothing is
        sent or kept."""
        data = validated(SendNoticeInput, request.data)
        preview = sending.preview_notice(
            case=data["case"], actor=request.user, items=data.get("items"), step=data.get("step")
        )
        return Response(NoticePreviewSerializer(preview).data)

    @extend_schema(
        responses={(200, "message/rfc822"): OpenApiResponse(description="the exact message sent to one recipient")}
    )
    @action(detail=True, url_path=r"deliveries/(?P<delivery_id>\d+)/message")
    def delivery_message(self, request, pk=None, delivery_id=None):
        require_permission(request.user, "notices.view_delivery")
        delivery = get_object_or_404(
            Delivery.objects.select_related("notice"), pk=delivery_id, notice=self.get_object()
        )
        return delivery_message_response(delivery, reader=request.user)

    @extend_schema(responses=LETTER_RESPONSES)
    @action(detail=True, renderer_classes=[JSONRenderer], content_negotiation_class=DocumentNegotiation)
    def letter(self, request, pk=None):
        """The notice as a formal letter (PDF), in the caller's language; readable by whoever reads the notice."""
        notice = self._detail(self.get_object())
        return pdf.pdf_response(letters.notice_letter_pdf(notice), reference=notice.reference)

    @extend_schema(request=PastNoticeInput, responses={201: NoticeDetailSerializer})
    @action(detail=False, methods=["post"], url_path="record-past")
    def record_past(self, request):
        data = validated(PastNoticeInput, request.data)
        notice = sending.record_past_notice(
            case=data["case"],
            actor=request.user,
            sent_at=data["sent_at"],
            items=data.get("items"),
            step=data.get("step"),
            recipients=data.get("recipients"),
            subject=data["subject"],
            body=data["body"],
            deadline_at=data["deadline_at"],
            sent_by_label=data["sent_by_label"],
        )
        return self._shape(notice, status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={
            200: NoticeDetailSerializer,
            202: OpenApiResponse(
                NoticeWaitingForQueueSerializer,
                description="sent and saved, but the mail queue was down: the sweep sends its email later",
            ),
            409: OpenApiResponse(description="the notice is not waiting for confirmation"),
        },
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        notice = sending.confirm_prepared_notice(notice=self.get_object(), actor=request.user)
        return self._shape_sent(notice, status.HTTP_200_OK)

    @extend_schema(request=BulkNoticesInput, responses=BulkResultSerializer)
    @action(detail=False, methods=["post"], url_path="bulk", parser_classes=[JSONParser])
    def bulk(self, request):
        """Act on up to 10,000 selected notices, each by the per-notice rules; refusals are reported per id."""
        require_permission(request.user, "notices.send_notice")
        data = validated(BulkNoticesInput, request.data)
        return Response(notice_bulk.bulk_confirm(actor=request.user, ids=data["ids"]).as_dict())

    @extend_schema(
        request={"application/json": ReplyInput, "multipart/form-data": ReplyInput},
        responses={
            201: OpenApiResponse(
                PlatformReplySerializer, description="recorded; to a lapsed notice as a late reply (`late`)"
            ),
            400: OpenApiResponse(description="invalid input: the project's JSON error"),
            403: OpenApiResponse(description="not allowed to record replies"),
            409: OpenApiResponse(description="the notice takes no reply: not sent yet, or already answered"),
        },
        methods=["POST"],
    )
    @extend_schema(responses=PlatformReplySerializer(many=True), methods=["GET"])
    @action(detail=True, methods=["get", "post"])
    def replies(self, request, pk=None):
        notice = self.get_object()
        if request.method == "GET":
            rows = notice.replies.select_related("recorded_by", "notice").prefetch_related("attachments__file")
            return Response(PlatformReplySerializer(rows, many=True).data)
        data = validated(ReplyInput, request.data)
        reply = replies.record_platform_reply(
            notice=notice,
            actor=request.user,
            received_at=data["received_at"],
            channel=data["channel"],
            summary=data["summary"],
            outcomes={row["item"]: (row["outcome"], row["reason"]) for row in data["outcomes"]},
            recorded_afterwards=data["recorded_afterwards"],
            inbound_mail=data["inbound_mail"],
            attachments=_files(request, data),
        )
        reply = (
            PlatformReply.objects.prefetch_related("attachments__file")
            .select_related("recorded_by", "notice")
            .get(pk=reply.pk)
        )
        return Response(PlatformReplySerializer(reply).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"application/json": RebuttalInput, "multipart/form-data": RebuttalInput},
        responses={201: RebuttalSerializer},
    )
    @action(detail=True, methods=["post"])
    def rebuttals(self, request, pk=None):
        notice = self.get_object()
        data = validated(RebuttalInput, request.data)
        entry = data.get("notice_item")
        if entry is None and "item" in data:
            entry = NoticeItem.objects.filter(notice=notice, item_id=data["item"]).first()
        if entry is None or entry.notice_id != notice.pk:
            message = _("Not an item of %(reference)s.") % {"reference": notice.reference}
            raise DomainError(message, fields={"notice_item": [message]})
        rebuttal = rebuttal_services.record_rebuttal(
            notice_item=entry,
            actor=request.user,
            received_at=data["received_at"],
            reasons=data["reasons"],
            attachments=_files(request, data),
            reply=data["reply"],
        )
        return Response(RebuttalSerializer(_rebuttal(rebuttal.pk)).data, status=status.HTTP_201_CREATED)

    def _detail(self, notice):
        return selectors.notice_detail(notice.pk)

    def _shape_sent(self, notice, code):
        """A notice just sent: 202 and a message when its mail could not be queued (the sweep sends it)."""
        if getattr(notice, "mail_queued", None) is False:
            detail = self._detail(notice)
            body = NoticeWaitingForQueueSerializer(detail, context={"request": self.request}).data
            return Response(body, status=status.HTTP_202_ACCEPTED)
        return self._shape(notice, code)

    def _shape(self, notice, code=status.HTTP_200_OK):
        return Response(
            NoticeDetailSerializer(self._detail(notice), context={"request": self.request}).data, status=code
        )


def _rebuttal(pk: int) -> Rebuttal:
    return RebuttalViewSet.queryset.get(pk=pk)


class RebuttalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Platforms' objections to items; POST records one (the notice's item row), `decide` is a supervisor's."""

    queryset = Rebuttal.objects.select_related("notice_item", "recorded_by", "decided_by").prefetch_related(
        "attachments__file"
    )
    serializer_class = RebuttalSerializer
    filterset_fields = ["decision"]
    ordering = ["received_at", "id"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request={"application/json": RebuttalInput, "multipart/form-data": RebuttalInput},
        responses={201: RebuttalSerializer},
    )
    def create(self, request):
        data = validated(RebuttalInput, request.data)
        if data.get("notice_item") is None:
            message = _("Name the notice's item row (notice_item).")
            raise DomainError(message, fields={"notice_item": [message]})
        rebuttal = rebuttal_services.record_rebuttal(
            notice_item=data["notice_item"],
            actor=request.user,
            received_at=data["received_at"],
            reasons=data["reasons"],
            attachments=_files(request, data),
            reply=data["reply"],
        )
        return Response(RebuttalSerializer(_rebuttal(rebuttal.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecideInput, responses=RebuttalSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        data = validated(DecideInput, request.data)
        rebuttal = rebuttal_services.decide_rebuttal(
            rebuttal=self.get_object(), actor=request.user, decision=data["decision"], reason=data["reason"]
        )
        return Response(RebuttalSerializer(_rebuttal(rebuttal.pk)).data)


class SanctionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Administrative sanctions imposed by ladder steps; `transition` records commitment, payment or waiver."""

    queryset = Sanction.objects.select_related("notice")
    serializer_class = SanctionSerializer
    filterset_class = SanctionFilter
    ordering = ["imposed_at", "id"]

    def get_permissions(self):
        return [IsAuthenticated(), CanViewSanctions()]

    @extend_schema(request=SanctionTransitionInput, responses=SanctionSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        data = validated(SanctionTransitionInput, request.data)
        sanction = sanction_services.change_sanction_state(sanction=self.get_object(), actor=request.user, **data)
        return Response(SanctionSerializer(self.get_queryset().get(pk=sanction.pk)).data)


class MarkedRead(serializers.Serializer):
    marked = serializers.IntegerField()


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The signed-in user's own notifications, unread first; `read` and `read-all` mark them read."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notifications_for(self.request.user)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = get_object_or_404(Notification, pk=pk, user=request.user)
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=MarkedRead)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        marked = Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
        return Response({"marked": marked})


# --- re-checks of content (rechecks.py) -------------------------------------------------------------------


class CanViewContentChecks(BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("notices.view_contentcheck")


class ContentCheckSerializer(serializers.ModelSerializer):
    saved_copy_sha256 = serializers.CharField(source="saved_copy.sha256", read_only=True, default="")

    class Meta:
        model = ContentCheck
        fields = [
            "id",
            "item",
            "notice_item",
            "occasion",
            "requested_by",
            "due_at",
            "checked_at",
            "outcome",
            "status_code",
            "final_url",
            "body_sha256",
            "elapsed_ms",
            "response_headers",
            "detail",
            "saved_copy_sha256",
        ]


class RecheckInput(InputSerializer):
    item = serializers.PrimaryKeyRelatedField(queryset=FlaggedItem.objects.all())


class ContentCheckViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Re-checks of items' content (`?item=` for one item's); POST asks for one now, as the item page's button."""

    queryset = ContentCheck.objects.select_related("saved_copy").order_by("-due_at", "-id")
    serializer_class = ContentCheckSerializer
    filterset_fields = ["item", "outcome"]
    ordering = ["-due_at", "-id"]

    def get_permissions(self):
        return [IsAuthenticated(), CanViewContentChecks()]

    @extend_schema(
        request=RecheckInput,
        responses={
            202: ContentCheckSerializer,
            400: OpenApiResponse(description="invalid input: the project's JSON error"),
            403: OpenApiResponse(description="not allowed to ask for re-checks"),
        },
    )
    def create(self, request):
        require_permission(request.user, "notices.request_contentcheck")
        data = validated(RecheckInput, request.data)
        check = rechecks.request_recheck(item=data["item"], actor=request.user)
        return Response(ContentCheckSerializer(check).data, status=status.HTTP_202_ACCEPTED)
