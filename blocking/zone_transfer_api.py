"""The RPZ by zone transfer in the API: what each ISP's resolvers transferred, and the ISPs' TSIG keys.

Reading is `view_isp`, as the order and ISP pages; making or rotating a key is `add_zonetransferkey`, which only
administrators hold (its secret is shown once, in the answer that makes it).
"""

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import zone_transfer
from .api_common import signed_in_with
from .models import BlockOrder, ZoneTransfer, ZoneTransferKey


class TransferSerializer(serializers.ModelSerializer):
    class Meta:
        model = ZoneTransfer
        fields = ["serial", "kind", "client", "key_name", "transferred_at", "lag_seconds"]

    lag_seconds = serializers.SerializerMethodField(help_text="from the version's making to this transfer")

    def get_lag_seconds(self, transfer) -> float | None:
        return transfer.lag.total_seconds() if transfer.lag is not None else None


class ISPZoneSerializer(serializers.Serializer):
    zone = serializers.CharField(help_text="the ISP's RPZ zone on the ministry's DNS server")
    current_serial = serializers.IntegerField(help_text="the blocklist's version now")
    serial = serializers.IntegerField(allow_null=True, help_text="the serial its resolvers last transferred")
    current = serializers.BooleanField(help_text="its resolvers hold the current version")
    summary = serializers.CharField()
    key_name = serializers.CharField(allow_null=True, help_text="its TSIG key in use (the secret is never shown)")
    transfers = TransferSerializer(many=True, help_text="the latest transfers, newest first")


class OrderZoneSerializer(serializers.Serializer):
    isp = serializers.IntegerField(source="isp.pk")
    isp_name = serializers.CharField(source="isp.name")
    order_serial = serializers.IntegerField(help_text="the version that put the order in force")
    has_order = serializers.BooleanField(help_text="its resolvers transferred that version or a later one")
    serial = serializers.IntegerField(allow_null=True, help_text="the first serial with the order, else the latest")
    transferred_at = serializers.DateTimeField(allow_null=True)
    lag_seconds = serializers.FloatField(allow_null=True, help_text="from the order's version to that transfer")
    summary = serializers.CharField()


class NewKeySerializer(serializers.Serializer):
    name = serializers.CharField()
    algorithm = serializers.CharField()
    secret = serializers.CharField(help_text="base64; shown this once only")
    zone = serializers.CharField()
    primary = serializers.CharField(help_text="address and port of the ministry's DNS server")
    created_at = serializers.DateTimeField()


def isp_zone(isp) -> dict:
    state = zone_transfer.zone_states([isp])[0]
    key = zone_transfer.active_key(isp)
    return {
        "zone": zone_transfer.zone_name(isp),
        "current_serial": state.current_serial,
        "serial": state.transfer.serial if state.transfer else None,
        "current": state.current,
        "summary": state.summary,
        "key_name": key.name if key else None,
        "transfers": ZoneTransfer.objects.filter(isp=isp)[:20],
    }


def new_key(key: ZoneTransferKey) -> dict:
    return {
        "name": key.name,
        "algorithm": "hmac-sha256",
        "secret": key.secret,
        "zone": zone_transfer.zone_name(key.isp_id),
        "primary": f"{settings.BLOCKING_BIND_ADDRESS} port {settings.BLOCKING_BIND_PORT}",
        "created_at": key.created_at,
    }


class OrderZoneTransfersView(APIView):
    """Per ISP the order was issued to: whether its resolvers transferred the version that put it in force, and
    how long after."""

    def get_permissions(self):
        return signed_in_with("blocking.view_isp")

    @extend_schema(responses={200: OrderZoneSerializer(many=True)})
    def get(self, request, pk: int):
        order = get_object_or_404(BlockOrder, pk=pk)
        isps = [recipient.isp for recipient in order.recipients.select_related("isp").order_by("isp__name")]
        rows = []
        for state in zone_transfer.order_zone_states(order, isps):
            shown = state.reached or state.latest
            rows.append(
                {
                    "isp": state.isp,
                    "order_serial": state.order_serial,
                    "has_order": state.reached is not None,
                    "serial": shown.serial if shown else None,
                    "transferred_at": shown.transferred_at if shown else None,
                    "lag_seconds": state.lag.total_seconds() if state.lag is not None else None,
                    "summary": state.summary,
                }
            )
        return Response(OrderZoneSerializer(rows, many=True).data)
