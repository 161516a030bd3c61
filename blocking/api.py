"""The blocking API: orders (ISP accounts see only theirs), ISP reports, the signed blocklist."""

from django.db.models import Prefetch
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from notices.models import Notice
from tracker.cases.models import Case
from tracker.core import pdf
from tracker.core.errors import NotPermitted, require_permission
from tracker.core.inputs import InputSerializer
from tracker.core.rest import LETTER_RESPONSES, DocumentNegotiation, validated

from . import exports, letters, mail, services, signing
from .models import ISP, BlockOrder, BlockProposal, ISPAccount, OrderRecipient


class RecipientSerializer(serializers.ModelSerializer):
    isp = serializers.CharField(source="isp.name")
    overdue = serializers.SerializerMethodField()
    emailed_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="when the ISP's mail server accepted the order"
    )
    acknowledge_rule_text = serializers.CharField(read_only=True)
    implement_rule_text = serializers.CharField(read_only=True)

    class Meta:
        model = OrderRecipient
        fields = [
            "isp",
            "emailed_at",
            "acknowledge_due_at",
            "acknowledge_rule",
            "acknowledge_rule_text",
            "acknowledged_at",
            "implement_due_at",
            "implement_rule",
            "implement_rule_text",
            "implemented_at",
            "overdue",
            "letter_sha256",
        ]

    def get_overdue(self, recipient) -> bool:
        return recipient.is_overdue()


class OrderSerializer(serializers.ModelSerializer):
    names = serializers.SerializerMethodField()
    recipients = RecipientSerializer(many=True, read_only=True)
    lifts = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    # References only: an ISP reads which notices went before, never their content.
    notices = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)
    isps = serializers.SlugRelatedField(
        slug_field="name", many=True, read_only=True, help_text="the ISPs named, unless it binds every ISP"
    )
    recorded_by = serializers.SerializerMethodField(help_text="who recorded an order of the past (staff only)")

    class Meta:
        model = BlockOrder
        fields = [
            "id",
            "reference",
            "kind",
            "status",
            "lifts",
            "names",
            "justification",
            "legal_basis",
            "case",
            "notices",
            "notice_references",
            "binds_all_isps",
            "effective_at",
            "ends_at",
            "approved_at",
            "issued_at",
            "in_force_at",
            "ended_at",
            "recipients",
            "isps",
            "recorded_afterwards",
            "recorded_by",
            "recorded_at",
        ]

    def get_names(self, order) -> list[str]:
        return [str(name) for name in order.names.all()]

    def get_recorded_by(self, order) -> str | None:
        request = self.context.get("request")
        if order.recorded_by_id is None or request is None or request.user.has_role("isp"):
            return None
        return order.recorded_by.username


class OrderInput(InputSerializer):
    names = serializers.ListField(child=serializers.CharField(max_length=300), allow_empty=False)
    justification = serializers.CharField()
    legal_basis = serializers.CharField()
    effective_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    case = serializers.PrimaryKeyRelatedField(queryset=Case.objects.all(), required=False, allow_null=True)
    notices = serializers.SlugRelatedField(
        slug_field="reference", queryset=Notice.objects.all(), many=True, required=False
    )
    notice_references = serializers.CharField(required=False, allow_blank=True, default="")
    isps = serializers.PrimaryKeyRelatedField(queryset=ISP.objects.all(), many=True, required=False)
    proposal = serializers.PrimaryKeyRelatedField(
        queryset=BlockProposal.objects.all(),
        required=False,
        allow_null=True,
        help_text="The open proposal the order comes from; making the order closes it.",
    )


class BlockLiftInput(InputSerializer):
    names = serializers.ListField(
        child=serializers.CharField(max_length=300),
        allow_empty=False,
        required=False,
        help_text="names to lift; default: every name in force through the block order",
    )
    isps = serializers.PrimaryKeyRelatedField(
        queryset=ISP.objects.all(),
        many=True,
        required=False,
        help_text="ISP ids, of those the block order was issued to; default: exactly those",
    )
    justification = serializers.CharField()
    legal_basis = serializers.CharField()
    effective_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="for a lift of some days: when the block resumes"
    )


class PastOrderInput(InputSerializer):
    lifts = serializers.PrimaryKeyRelatedField(
        queryset=BlockOrder.objects.filter(kind=BlockOrder.Kind.BLOCK),
        required=False,
        allow_null=True,
        help_text="for a lift of the past: the block order it lifted",
    )
    names = serializers.ListField(
        child=serializers.CharField(max_length=300),
        allow_empty=False,
        required=False,
        help_text="a block's names; a lift's default: every name of its block",
    )
    justification = serializers.CharField()
    legal_basis = serializers.CharField()
    effective_at = serializers.DateTimeField(help_text="its real time, in the past")
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    case = serializers.PrimaryKeyRelatedField(queryset=Case.objects.all(), required=False, allow_null=True)
    notices = serializers.SlugRelatedField(
        slug_field="reference", queryset=Notice.objects.all(), many=True, required=False
    )
    notice_references = serializers.CharField(required=False, allow_blank=True, default="")
    isps = serializers.PrimaryKeyRelatedField(
        queryset=ISP.objects.all(),
        many=True,
        required=False,
        help_text="the ISPs it bound; default: every active ISP (a lift: those its block bound)",
    )


class ApprovalInput(InputSerializer):
    password = serializers.CharField(trim_whitespace=False)
    otp_code = serializers.CharField(help_text="A current code from the approver's authenticator, or a recovery code.")


class BlockOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Block and lift orders. An ISP account sees only issued orders addressed to its ISP."""

    serializer_class = OrderSerializer
    filterset_fields = ["status", "kind"]

    def get_permissions(self):
        if self.action in {"submit", "approve", "acknowledge", "implemented"}:
            # Reading the order needs view_; the service checks the permission each step needs.
            return [IsAuthenticated(), CanViewOrders()]
        return super().get_permissions()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return BlockOrder.objects.none()
        orders = BlockOrder.objects.select_related("lifts", "recorded_by").prefetch_related(
            "names", "isps", Prefetch("notices", Notice.objects.order_by("sent_at", "id").only("reference", "sent_at"))
        )
        recipients = mail.with_emailed_at(OrderRecipient.objects.select_related("isp"))
        if self.request.user.has_role("isp"):
            account = ISPAccount.objects.filter(user=self.request.user).first()
            if account is None:
                return orders.none()
            orders = orders.filter(recipients__isp=account.isp_id)
            recipients = recipients.filter(isp=account.isp_id)  # not the other ISPs' reports
        return orders.prefetch_related(Prefetch("recipients", recipients)).order_by("-effective_at", "-id")

    def create(self, request):
        data = OrderInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        isps = values.pop("isps", None) or None
        order = services.create_block_order(actor=request.user, isps=isps, **values)
        return Response(OrderSerializer(order, context={"request": request}).data, status=201)

    @extend_schema(responses=LETTER_RESPONSES)
    @action(detail=True, renderer_classes=[JSONRenderer], content_negotiation_class=DocumentNegotiation)
    def letter(self, request, pk=None):
        """The order as a formal letter (PDF), in the caller's language. An ISP account gets its own copy: its
        name as addressee and its deadlines, the document it was mailed."""
        order = self.get_object()
        recipient = None
        if request.user.has_role("isp"):
            recipient = next(iter(order.recipients.all()), None)  # the queryset keeps only this ISP's row
        return pdf.pdf_response(letters.order_letter_pdf(order, recipient), reference=order.reference)

    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        order = services.submit_for_approval(order=self.get_object(), actor=request.user)
        return Response(OrderSerializer(order, context={"request": request}).data)

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        # A role that may not approve is told so (403) whatever it sent, before its body is read.
        require_permission(request.user, "blocking.approve_blockorder")
        data = ApprovalInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.approve_order(order=self.get_object(), actor=request.user, **data.validated_data)
        return Response(OrderSerializer(order, context={"request": request}).data)

    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        services.acknowledge_order(recipient=self._recipient(), actor=request.user)
        return Response(OrderSerializer(self.get_object(), context={"request": request}).data)

    @action(detail=True, methods=["post"])
    def implemented(self, request, pk=None):
        services.report_implemented(recipient=self._recipient(), actor=request.user)
        return Response(OrderSerializer(self.get_object(), context={"request": request}).data)

    # The error answers (400, 401, 403, 404, 409 …) are documented for every operation by tracker/core/schema.py.
    @extend_schema(request=BlockLiftInput, responses={201: OrderSerializer})
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        """Draft a lift of this block order: all or some of its names in force, for all or some of the ISPs it
        was issued to (by default exactly those), from `effective_at`; with `ends_at` the block resumes then."""
        block = self.get_object()
        data = validated(BlockLiftInput, request.data)
        names = data.pop("names", None)
        isps = data.pop("isps", None)
        order = services.create_lift_order(actor=request.user, block_order=block, names=names, isps=isps, **data)
        return Response(OrderSerializer(order, context={"request": request}).data, status=201)

    @extend_schema(request=PastOrderInput, responses={201: OrderSerializer})
    @action(detail=False, methods=["post"], url_path="record-past")
    def record_past(self, request):
        """Record a block order (or, with `lifts`, a lift) given outside the tracker, with its real times: a draft
        that a second supervisor approves like any order; it then takes its place in the blocklist's history at
        those times, and is never mailed to an ISP."""
        data = validated(PastOrderInput, request.data)
        block = data.pop("lifts", None)
        isps = data.pop("isps", None)
        order = services.record_past_order(actor=request.user, block_order=block, isps=isps or None, **data)
        return Response(OrderSerializer(order, context={"request": request}).data, status=201)

    def _recipient(self) -> OrderRecipient:
        order = self.get_object()
        account = getattr(self.request.user, "isp_account", None)
        if account is None:
            raise NotPermitted("Only an ISP account can report on an order.")
        return get_object_or_404(OrderRecipient, order=order, isp=account.isp_id)


class CanViewOrders(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.has_perm("blocking.view_blockorder"))


class BlocklistPermission(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.has_perm("blocking.view_blocklistversion"))


class BlocklistView(APIView):
    """The current version, the latest versions and the public key that signs every export.

    An ISP account sees only the references of orders that bind its ISP.
    """

    permission_classes = [IsAuthenticated, BlocklistPermission]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        versions = exports.versions(exports.isp_reading(request.user))
        return Response(
            {
                "version": exports.current_serial(),
                "formats": list(exports.FORMATS),
                "public_key": public_key_body(),
                "versions": [
                    {
                        "serial": version.serial,
                        "created_at": version.created_at,
                        "effective_at": version.effective_at,
                        "order": version.order_reference,
                        "names_in_force": version.names_in_force,
                        "added": version.added,
                        "removed": version.removed,
                    }
                    for version in versions
                ],
            }
        )


def public_key_body() -> dict:
    return {
        "algorithm": "Ed25519",
        "pem": signing.public_key_pem(),
        "base64": signing.public_key_base64(),
        "fingerprint": signing.fingerprint(),
    }


class PublicKeyView(APIView):
    permission_classes = [IsAuthenticated, BlocklistPermission]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(public_key_body())


class ExportView(APIView):
    """The signed export of the current version (or, with `?at=`, of the list as it was then), streamed from
    disk; `signature/` gives its signature.

    An ISP account gets its ISP's own list: the names in force for it through the orders it was issued.
    """

    permission_classes = [IsAuthenticated, BlocklistPermission]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "at",
                OpenApiTypes.DATETIME,
                description="the list as it was at this time (e.g. 2017-07-20T00:00:00+07:00), orders recorded "
                "afterwards included; default: the current version",
            )
        ],
        responses={200: bytes},
    )
    def get(self, request, kind: str, signature: bool = False):
        params = validated(ExportInput, request.query_params)
        isp = exports.isp_reading(request.user)
        return serve(exports.get_export(kind, isp, at=params.get("at")), signature)


class ExportInput(InputSerializer):
    at = serializers.DateTimeField(required=False)

    def validate_at(self, value):
        if value > timezone.now():
            raise serializers.ValidationError("The list of a time to come is not known yet.")
        return value


class DiffView(APIView):
    """The signed diff between two versions; an ISP account's is the exact diff of its own list."""

    permission_classes = [IsAuthenticated, BlocklistPermission]

    @extend_schema(responses={200: bytes})
    def get(self, request, signature: bool = False):
        params = DiffInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        isp = exports.isp_reading(request.user)
        return serve(exports.get_diff(params.validated_data["from"], params.validated_data["to"], isp), signature)


class DiffInput(InputSerializer):
    to = serializers.IntegerField(min_value=0)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.IntegerField(min_value=0)
        return fields


def serve(export: exports.Export, signature: bool) -> FileResponse:
    if signature:
        return FileResponse(
            export.signature_path.open("rb"),
            as_attachment=True,
            filename=f"{export.filename}.sig",
            content_type="application/json",
        )
    return FileResponse(
        export.path.open("rb"), as_attachment=True, filename=export.filename, content_type=export.content_type
    )
