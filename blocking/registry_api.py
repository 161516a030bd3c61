"""The ISP registry API: ISPs, their API accounts and the resolvers compliance checks query.

Each action asks the permission its page asks (blocking/views.py): reading is `view_isp` (the ISP list), every
change `add_isp` (the ISP form, for a new ISP and a change alike; `services.save_isp` checks `change_isp` again),
and checking now `change_isp` (the "check now" button). Administrators keep this reference data; supervisors may,
as on the pages. An API account is a user already in the ISP role (invited at /api/v1/users/invite/), linked here.
"""

from contextlib import contextmanager

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tracker.core.errors import DomainError
from tracker.core.inputs import InputSerializer
from tracker.core.rest import validated

from . import compliance, registry, services, zone_transfer, zone_transfer_api
from .api_common import renamed_fields, signed_in_with
from .compliance_api import CheckQueuedSerializer
from .models import ISP, ISPAccount

# The names the service gives the inputs at fault, as this API calls them.
API_FIELD_NAMES = {
    "resolver_addresses": "resolvers",
    "transfer_addresses": "transfer_addresses",
    "accounts": "username",
}


class AccountSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.pk")
    username = serializers.CharField(source="user.username")
    is_active = serializers.BooleanField(source="user.is_active")


class ISPSerializer(serializers.ModelSerializer):
    resolvers = serializers.SerializerMethodField(help_text="the addresses compliance checks query, as entered")
    transfer_addresses = serializers.SerializerMethodField(
        help_text="resolvers told of each new version and allowed to transfer its RPZ zone without its key"
    )
    accounts = AccountSerializer(many=True, read_only=True)
    compliance = serializers.SerializerMethodField(help_text="{result: count} of its latest compliance check run")

    class Meta:
        model = ISP
        fields = [
            "id",
            "name",
            "licence_number",
            "contact_name",
            "contact_email",
            "contact_phone",
            "resolvers",
            "transfer_addresses",
            "is_active",
            "accounts",
            "compliance",
        ]

    def get_resolvers(self, isp) -> list[str]:
        return registry.resolver_lines(isp)

    def get_transfer_addresses(self, isp) -> list[str]:
        return [line.strip() for line in isp.transfer_addresses.splitlines() if line.strip()]

    def get_compliance(self, isp) -> dict[str, int]:
        summaries = self.context.get("compliance")
        if summaries is None:
            summaries = compliance.latest_summaries()
        return summaries.get(isp.pk, {})


class ResolverSerializer(serializers.Serializer):
    address = serializers.CharField()
    host = serializers.CharField()
    port = serializers.IntegerField()


class ResolversSerializer(serializers.Serializer):
    resolvers = ResolverSerializer(many=True)


class ResolversInput(InputSerializer):
    resolvers = serializers.ListField(
        child=serializers.CharField(max_length=80),
        allow_empty=True,
        max_length=50,
        help_text="IP addresses, each optionally with :port ([v6]:port); replaces the list",
    )


class ISPInput(InputSerializer):
    name = serializers.CharField(max_length=200)
    licence_number = serializers.CharField(max_length=100)
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_email = serializers.EmailField(help_text="where orders and reminders are sent")
    contact_phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    resolvers = serializers.ListField(
        child=serializers.CharField(max_length=80),
        required=False,
        max_length=50,
        help_text="as `resolvers/` takes them",
    )
    transfer_addresses = serializers.ListField(
        child=serializers.CharField(max_length=80),
        required=False,
        max_length=50,
        help_text="IP addresses, each optionally with #port: told of each new version (NOTIFY) and allowed to "
        "transfer the ISP's RPZ zone without its key",
    )
    is_active = serializers.BooleanField(required=False)


class ISPChangeInput(ISPInput):
    """The fields to change; those left out stay as they are."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
        return fields


class AccountInput(InputSerializer):
    username = serializers.CharField(max_length=150, help_text="a user in the ISP role")


class ISPViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """ISPs bound by block orders. POST registers one, PATCH changes it; `link-account/` and `unlink-account/`
    name its API accounts, `resolvers/` the resolvers its compliance checks query, `check/` runs one now; `zone/`
    shows what its resolvers transferred of its RPZ zone, `zone-key/` makes its TSIG key (shown once)."""

    serializer_class = ISPSerializer
    ordering_fields = ["name"]
    ordering = ["name"]
    filterset_fields = ["is_active"]
    queryset = ISP.objects.prefetch_related(
        Prefetch("accounts", ISPAccount.objects.select_related("user").order_by("user__username"))
    )

    def get_permissions(self):
        if self.action == "check":
            return signed_in_with("blocking.change_isp")
        if self.action == "zone_key":
            return signed_in_with("blocking.add_zonetransferkey")
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return signed_in_with("blocking.view_isp")
        return signed_in_with("blocking.add_isp")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "compliance": compliance.latest_summaries()}

    @extend_schema(request=ISPInput, responses={201: ISPSerializer})
    def create(self, request):
        isp = self._save(ISPInput, request, isp=None)
        return Response(self._shown(isp), status=status.HTTP_201_CREATED)

    @extend_schema(request=ISPChangeInput, responses={200: ISPSerializer})
    def partial_update(self, request, pk=None):
        return Response(self._shown(self._save(ISPChangeInput, request, isp=self.get_object())))

    @extend_schema(request=AccountInput, responses={200: ISPSerializer})
    @action(detail=True, methods=["post"], url_path="link-account")
    def link_account(self, request, pk=None):
        data = validated(AccountInput, request.data)
        with _api_field_names():
            isp = registry.link_account(isp=self.get_object(), username=data["username"], actor=request.user)
        return Response(self._shown(isp))

    @extend_schema(request=AccountInput, responses={200: ISPSerializer})
    @action(detail=True, methods=["post"], url_path="unlink-account")
    def unlink_account(self, request, pk=None):
        data = validated(AccountInput, request.data)
        with _api_field_names():
            isp = registry.unlink_account(isp=self.get_object(), username=data["username"], actor=request.user)
        return Response(self._shown(isp))

    @extend_schema(methods=["GET"], responses={200: ResolversSerializer})
    @extend_schema(methods=["PUT"], request=ResolversInput, responses={200: ResolversSerializer})
    @action(detail=True, methods=["get", "put"])
    def resolvers(self, request, pk=None):
        isp = self.get_object()
        if request.method == "PUT":
            data = validated(ResolversInput, request.data)
            with _api_field_names():
                isp = registry.set_resolvers(isp=isp, addresses=data["resolvers"], actor=request.user)
        return Response(ResolversSerializer({"resolvers": registry.resolver_rows(isp)}).data)

    @extend_schema(request=None, responses={202: CheckQueuedSerializer})
    @action(detail=True, methods=["post"])
    def check(self, request, pk=None):
        queued = compliance.queue_isp_check(isp=self.get_object(), actor=request.user)
        return Response(CheckQueuedSerializer({"queued": queued}).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: zone_transfer_api.ISPZoneSerializer})
    @action(detail=True, methods=["get"], url_path="zone")
    def zone(self, request, pk=None):
        """Its RPZ zone: the serial its resolvers transferred last, the latest transfers, its key's name."""
        return Response(zone_transfer_api.ISPZoneSerializer(zone_transfer_api.isp_zone(self.get_object())).data)

    @extend_schema(request=None, responses={201: zone_transfer_api.NewKeySerializer})
    @action(detail=True, methods=["post"], url_path="zone-key")
    def zone_key(self, request, pk=None):
        """A new TSIG key for its resolvers' transfers (the old one revoked): the secret is in this answer only."""
        key = zone_transfer.rotate_key(isp=self.get_object(), actor=request.user)
        response = Response(zone_transfer_api.NewKeySerializer(zone_transfer_api.new_key(key)).data, status=201)
        response["Cache-Control"] = "no-store"
        return response

    def _save(self, input_class, request, *, isp):
        values = validated(input_class, request.data)
        resolvers = values.pop("resolvers", None)
        if resolvers is not None:
            values["resolver_addresses"] = "\n".join(line.strip() for line in resolvers)
        if "transfer_addresses" in values:
            values["transfer_addresses"] = "\n".join(line.strip() for line in values["transfer_addresses"])
        with _api_field_names():
            return services.save_isp(actor=request.user, isp=isp, **values)

    def _shown(self, isp: ISP) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=isp.pk)).data


@contextmanager
def _api_field_names():
    """A service's refusal names the inputs at fault as this API names them."""
    try:
        yield
    except DomainError as exc:
        renamed_fields(exc, API_FIELD_NAMES)
        raise
