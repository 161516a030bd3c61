"""The block proposals API: read them (staff), and decide them (supervisors): dismiss with a reason, or draft
the block order they suggest, which closes them.

Each action asks the permission its page asks (blocking/views.py): deciding is `add_blockorder`, as drafting an
order from a proposal is on the order form; administrators have no such permission. Reading is
`view_blockproposal`, which every staff role has and ISP accounts have not.
"""

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from notices.models import Notice
from platforms.models import Platform
from tracker.core.filters import FilterSet
from tracker.core.inputs import InputSerializer
from tracker.core.rest import validated

from . import proposals, services
from .api import OrderSerializer
from .api_common import signed_in_with
from .models import ISP, BlockOrder, BlockProposal


class ProposalFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=BlockProposal.Status.choices, label=_("status"))
    platform = django_filters.ModelChoiceFilter(
        queryset=Platform.objects.all(), field_name="case__platform", to_field_name="slug", label=_("platform slug")
    )
    case = django_filters.NumberFilter(field_name="case_id", label=_("case number"))

    class Meta:
        model = BlockProposal
        fields = []


class ProposalOrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = BlockOrder
        fields = ["id", "reference", "status"]


class SuggestedOrderSerializer(serializers.Serializer):
    names = serializers.ListField(child=serializers.CharField())
    justification = serializers.CharField()
    legal_basis = serializers.CharField()
    notices = serializers.ListField(child=serializers.CharField(), help_text="references of the case's sent notices")


class ProposalSerializer(serializers.ModelSerializer):
    case_title = serializers.CharField(source="case.title", read_only=True)
    platform = serializers.SlugRelatedField(source="case.platform", slug_field="slug", read_only=True)
    proposed_by = serializers.CharField(source="proposed_by_label", read_only=True)
    # Plain text in the schema: a "status" enum of its own would collide with the others' (ENUM_NAME_OVERRIDES).
    status = serializers.CharField(read_only=True, help_text="open, ordered (turned into an order) or dismissed")
    orders = ProposalOrderSerializer(many=True, read_only=True)

    class Meta:
        model = BlockProposal
        fields = ["id", "case", "case_title", "platform", "reason", "status", "proposed_at", "proposed_by", "orders"]


class ProposalDetailSerializer(ProposalSerializer):
    suggested_order = serializers.SerializerMethodField(
        help_text="what an order drafted from it takes unless told otherwise; null once it is decided"
    )

    class Meta(ProposalSerializer.Meta):
        fields = [*ProposalSerializer.Meta.fields, "suggested_order"]

    @extend_schema_field(SuggestedOrderSerializer(allow_null=True))
    def get_suggested_order(self, proposal):
        if proposal.status != BlockProposal.Status.OPEN:
            return None
        suggestion = proposals.suggested_order(proposal)
        suggestion["notices"] = [notice.reference for notice in suggestion["notices"]]
        return SuggestedOrderSerializer(suggestion).data


class ProposalDismissInput(InputSerializer):
    reason = serializers.CharField(max_length=5000, help_text="why no order is made")


class OrderFromProposalInput(InputSerializer):
    """The block order to draft; what is left out is the proposal's suggestion (`suggested_order`)."""

    effective_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    names = serializers.ListField(child=serializers.CharField(max_length=300), allow_empty=False, required=False)
    justification = serializers.CharField(required=False)
    legal_basis = serializers.CharField(required=False)
    notices = serializers.SlugRelatedField(
        slug_field="reference",
        queryset=Notice.objects.all(),
        many=True,
        required=False,
        help_text="references of the case's sent notices behind it; default: all of them",
    )
    notice_references = serializers.CharField(required=False, allow_blank=True, default="")
    isps = serializers.PrimaryKeyRelatedField(
        queryset=ISP.objects.all(), many=True, required=False, help_text="the ISPs bound; default: every active ISP"
    )


class BlockProposalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Block proposals, made when a case's escalation ladder runs out. A supervisor dismisses one with a reason
    (`dismiss/`) or drafts the block order it suggests (`order/`); either closes it."""

    serializer_class = ProposalSerializer
    filterset_class = ProposalFilter
    ordering_fields = ["proposed_at"]
    ordering = ["-proposed_at", "-id"]
    queryset = BlockProposal.objects.select_related("case__platform").prefetch_related(
        Prefetch("orders", BlockOrder.objects.only("id", "reference", "status", "proposal_id").order_by("id"))
    )

    def get_permissions(self):
        if self.action in {"dismiss", "order"}:
            return signed_in_with("blocking.add_blockorder")
        return signed_in_with("blocking.view_blockproposal")

    @extend_schema(responses={200: ProposalDetailSerializer})
    def retrieve(self, request, pk=None):
        return Response(ProposalDetailSerializer(self.get_object()).data)

    @extend_schema(request=ProposalDismissInput, responses={200: ProposalDetailSerializer})
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        data = validated(ProposalDismissInput, request.data)
        proposal = services.dismiss_proposal(proposal=self.get_object(), actor=request.user, reason=data["reason"])
        return Response(ProposalDetailSerializer(self.get_queryset().get(pk=proposal.pk)).data)

    @extend_schema(request=OrderFromProposalInput, responses={201: OrderSerializer})
    @action(detail=True, methods=["post"])
    def order(self, request, pk=None):
        proposal = self.get_object()
        data = validated(OrderFromProposalInput, request.data)
        isps = data.pop("isps", None) or None  # none named: every active ISP, as on the order form
        order = proposals.order_from_proposal(proposal=proposal, actor=request.user, isps=isps, **data)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)
