"""The compliance API: what each ISP's resolvers answered for an order's names, "check now", and the alerts
about ISPs found defying an order.

Each action asks the permission its page asks (blocking/views.py): reading is `view_isp` (the order page shows
the compliance checks, the ISP list their summary), checking now is `change_isp` (the ISP list's button).
"""

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from tracker.core.filters import FilterSet

from . import compliance
from .api_common import signed_in_with
from .models import ISP, BlockOrder, ComplianceAlert, ComplianceCheck


class CheckSerializer(serializers.ModelSerializer):
    class Meta:
        model = ComplianceCheck
        fields = ["resolver", "expected", "result", "answer", "serial", "checked_at"]


class NameResultSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="as the order names it (*.name for a subtree, checked at its own name)")
    checks = CheckSerializer(many=True, help_text="the latest answer of each of the ISP's resolvers; [] if unchecked")


class AlertSerializer(serializers.ModelSerializer):
    order = serializers.IntegerField(source="recipient.order_id", read_only=True)
    order_reference = serializers.CharField(source="recipient.order.reference", read_only=True)
    isp = serializers.IntegerField(source="recipient.isp_id", read_only=True)
    isp_name = serializers.CharField(source="recipient.isp.name", read_only=True)

    class Meta:
        model = ComplianceAlert
        fields = [
            "id",
            "order",
            "order_reference",
            "isp",
            "isp_name",
            "problem",
            "status",
            "names",
            "first_seen_at",
            "last_seen_at",
            "resolved_at",
            "reminders_sent",
            "next_reminder_at",
        ]


class ISPResultSerializer(serializers.Serializer):
    isp = serializers.IntegerField(source="isp.pk")
    isp_name = serializers.CharField(source="isp.name")
    resolvers = serializers.ListField(child=serializers.CharField(), help_text="host:port, as checks query them")
    summary = serializers.DictField(child=serializers.IntegerField(), help_text="{result: count} over the names")
    names = NameResultSerializer(many=True)
    alerts = AlertSerializer(many=True, help_text="what the checks found this ISP defying in this order")


class OrderComplianceSerializer(serializers.Serializer):
    order = serializers.IntegerField(source="order.pk")
    reference = serializers.CharField(source="order.reference")
    kind = serializers.CharField(source="order.kind")
    status = serializers.CharField(source="order.status")
    serial = serializers.IntegerField(help_text="the blocklist version now")
    name_count = serializers.IntegerField(help_text="the order's names; the first 2,000 are shown per ISP")
    isps = ISPResultSerializer(many=True, help_text="each ISP the order was issued to; [] before issue")


class CheckQueuedSerializer(serializers.Serializer):
    queued = serializers.ListField(child=serializers.IntegerField(), help_text="the ISPs whose check is queued")


class OrderComplianceView(APIView):
    """What each ISP the order was issued to answered for each of its names, and what was found defying it."""

    def get_permissions(self):
        return signed_in_with("blocking.view_isp")

    @extend_schema(responses={200: OrderComplianceSerializer})
    def get(self, request, pk: int):
        order = get_object_or_404(BlockOrder, pk=pk)
        return Response(OrderComplianceSerializer(compliance.order_results(order)).data)


class OrderComplianceCheckView(APIView):
    """Check now: the order's names at the resolvers of each ISP it was issued to, by a background task (202)."""

    def get_permissions(self):
        return signed_in_with("blocking.change_isp")

    @extend_schema(request=None, responses={202: CheckQueuedSerializer})
    def post(self, request, pk: int):
        queued = compliance.queue_order_check(order=get_object_or_404(BlockOrder, pk=pk), actor=request.user)
        return Response(CheckQueuedSerializer({"queued": queued}).data, status=status.HTTP_202_ACCEPTED)


class AlertFilter(FilterSet):
    order = django_filters.NumberFilter(field_name="recipient__order_id", label=_("block order id"))
    isp = django_filters.ModelChoiceFilter(queryset=ISP.objects.all(), field_name="recipient__isp", label=_("ISP id"))
    problem = django_filters.ChoiceFilter(choices=ComplianceAlert.Problem.choices, label=_("problem"))
    status = django_filters.ChoiceFilter(choices=ComplianceAlert.Status.choices, label=_("status"))

    class Meta:
        model = ComplianceAlert
        fields = []


class ComplianceAlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """ISPs a compliance check found defying an order: not blocking its names after the deadline, or still
    blocking names after a lift. One per order, ISP and problem; open until a check finds the ISP compliant."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    ordering_fields = ["first_seen_at", "last_seen_at"]
    ordering = ["-first_seen_at", "-id"]
    queryset = ComplianceAlert.objects.select_related("recipient__order", "recipient__isp")

    def get_permissions(self):
        return signed_in_with("blocking.view_isp")
