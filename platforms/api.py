"""The platform registry API: platforms with their hosts, DNS names and contacts; government advisories.

Serializers validate and shape only; every write goes through platforms/services.py.
"""

import django_filters
from django.db import transaction
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from tracker.core.filters import FilterSet
from tracker.core.inputs import InputSerializer

from . import services
from .models import AdvisoryReason, GovernmentAdvisory, Platform, PlatformContact, UrlRules

# --- filters (the UI lists use them too) ---------------------------------------------------------


class PlatformFilter(FilterSet):
    q = django_filters.CharFilter(method="filter_text", help_text="name, operator or host contains")
    country = django_filters.CharFilter(field_name="home_country", lookup_expr="iexact")
    url_rules = django_filters.ChoiceFilter(choices=UrlRules.choices)

    class Meta:
        model = Platform
        fields = ["country", "url_rules", "q"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        hosts = Platform.objects.filter(hosts__host__icontains=value).values("pk")
        return queryset.filter(Q(name__icontains=value) | Q(operator_legal_name__icontains=value) | Q(pk__in=hosts))


class AdvisoryFilter(FilterSet):
    country = django_filters.CharFilter(field_name="country", lookup_expr="iexact")
    measure = django_filters.ChoiceFilter(choices=GovernmentAdvisory.Measure.choices)
    status = django_filters.ChoiceFilter(choices=GovernmentAdvisory.Status.choices)
    reason = django_filters.CharFilter(method="filter_reason", help_text="slug of an advisory reason")
    platform = django_filters.NumberFilter(method="filter_platform", help_text="platform id")
    issued_after = django_filters.DateFilter(field_name="issued_on", lookup_expr="gte")
    issued_before = django_filters.DateFilter(field_name="issued_on", lookup_expr="lte")

    class Meta:
        model = GovernmentAdvisory
        fields = ["country", "measure", "status", "reason", "platform", "issued_after", "issued_before"]

    # Through a subquery, not a join, so an advisory is never listed twice.
    def filter_reason(self, queryset, name, value):
        return queryset.filter(pk__in=GovernmentAdvisory.objects.filter(reasons__slug=value).values("pk"))

    def filter_platform(self, queryset, name, value):
        return queryset.filter(pk__in=GovernmentAdvisory.objects.filter(platforms=value).values("pk"))


# --- platforms ----------------------------------------------------------------------------------


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlatformContact
        fields = ["id", "platform", "role", "name", "email", "is_active"]
        read_only_fields = ["id"]


class PlatformSerializer(serializers.ModelSerializer):
    hosts = serializers.SlugRelatedField(slug_field="host", many=True, read_only=True)
    domains = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    contacts = ContactSerializer(many=True, read_only=True)

    class Meta:
        model = Platform
        fields = [
            "id",
            *services.PLATFORM_FIELDS,
            "trusted_flagger_since",
            "trusted_flagger_granted_by",
            "hosts",
            "domains",
            "contacts",
        ]
        read_only_fields = ["id", "trusted_flagger_since", "trusted_flagger_granted_by"]


class PlatformInput(InputSerializer):
    """Details to save; `hosts` and `domains`, when given, replace the lists (all in one transaction)."""

    name = serializers.CharField(max_length=100, required=False)
    slug = serializers.SlugField(max_length=50, required=False)
    operator_legal_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    home_country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True)
    language = serializers.CharField(max_length=8, required=False)
    url_rules = serializers.ChoiceField(choices=UrlRules.choices, required=False)
    has_government_channel = serializers.BooleanField(required=False)
    has_representative_office = serializers.BooleanField(required=False)
    representative_office_address = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    hosts = serializers.ListField(child=serializers.CharField(max_length=300), required=False)
    domains = serializers.ListField(child=serializers.CharField(max_length=300), required=False)


class TrustedFlaggerInput(InputSerializer):
    since = serializers.DateField()
    granted_by = serializers.CharField(max_length=200)


class PlatformViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """The platform registry. POST creates, PATCH changes; `hosts` and `domains` lists replace the current ones."""

    serializer_class = PlatformSerializer
    filterset_class = PlatformFilter
    ordering_fields = ["name"]
    queryset = Platform.objects.prefetch_related("hosts", "domains", "contacts").order_by("name")

    def get_permissions(self):
        if self.action == "trusted_flagger":
            return [IsAuthenticated(), CanViewPlatforms()]  # the service checks change_platform
        return super().get_permissions()

    @extend_schema(request=PlatformInput, responses=PlatformSerializer)
    def create(self, request):
        return Response(PlatformSerializer(self._save(request, None)).data, status=201)

    @extend_schema(request=PlatformInput, responses=PlatformSerializer)
    def partial_update(self, request, pk=None):
        return Response(PlatformSerializer(self._save(request, self.get_object())).data)

    def _save(self, request, platform):
        data = PlatformInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        hosts, domains = values.pop("hosts", None), values.pop("domains", None)
        with transaction.atomic():
            if values or platform is None:
                platform = services.save_platform(actor=request.user, platform=platform, **values)
            if hosts is not None:
                services.set_platform_hosts(actor=request.user, platform=platform, hosts=hosts)
            if domains is not None:
                services.set_platform_domains(actor=request.user, platform=platform, names=domains)
        return self.get_queryset().get(pk=platform.pk)

    @extend_schema(request=TrustedFlaggerInput, responses=PlatformSerializer)
    @action(detail=True, methods=["post"], url_path="trusted-flagger")
    def trusted_flagger(self, request, pk=None):
        data = TrustedFlaggerInput(data=request.data)
        data.is_valid(raise_exception=True)
        platform = services.grant_trusted_flagger(actor=request.user, platform=self.get_object(), **data.validated_data)
        return Response(PlatformSerializer(self.get_queryset().get(pk=platform.pk)).data)


class CanViewPlatforms(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.has_perm("platforms.view_platform"))


class ContactInput(InputSerializer):
    platform = serializers.PrimaryKeyRelatedField(queryset=Platform.objects.all(), required=False)
    role = serializers.ChoiceField(choices=PlatformContact.Role.choices, required=False)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class PlatformContactViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Platforms' contacts. PATCH `is_active: false` deactivates one; contacts are never deleted."""

    serializer_class = ContactSerializer
    queryset = PlatformContact.objects.order_by("platform_id", "role", "email")
    filterset_fields = ["platform", "role", "is_active"]

    @extend_schema(request=ContactInput, responses=ContactSerializer)
    def create(self, request):
        data = ContactInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        platform = values.pop("platform", None)
        contact = services.save_contact(actor=request.user, platform=platform, **values)
        return Response(ContactSerializer(contact).data, status=201)

    @extend_schema(request=ContactInput, responses=ContactSerializer)
    def partial_update(self, request, pk=None):
        contact = self.get_object()
        data = ContactInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("platform", None)  # a contact stays with its platform
        with transaction.atomic():
            if values.get("is_active") is False:
                values.pop("is_active")
                contact = services.deactivate_contact(actor=request.user, contact=contact)
            if values:
                contact = services.save_contact(actor=request.user, contact=contact, **values)
        return Response(ContactSerializer(contact).data)


# --- advisories ---------------------------------------------------------------------------------


class AdvisoryReasonSerializer(serializers.ModelSerializer):
    class Meta:
        model = AdvisoryReason
        fields = ["id", "slug", "name"]


class AdvisoryReasonViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = AdvisoryReason.objects.order_by("name")
    serializer_class = AdvisoryReasonSerializer
    pagination_class = None


class AdvisorySerializer(serializers.ModelSerializer):
    platforms = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    platform_names = serializers.SerializerMethodField()
    reasons = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = GovernmentAdvisory
        fields = [
            "id",
            *services.ADVISORY_FIELDS,
            "platforms",
            "platform_names",
            "reasons",
            "status",
            "lifted_on",
            "recorded_by",
            "recorded_at",
        ]

    def get_platform_names(self, advisory) -> list[str]:
        return [platform.name for platform in advisory.platforms.all()]


class AdvisoryInput(InputSerializer):
    authority = serializers.CharField(max_length=200, required=False)
    country = serializers.CharField(max_length=2, required=False)
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    issued_on = serializers.DateField(required=False)
    scope = serializers.CharField(max_length=300, required=False)
    measure = serializers.ChoiceField(choices=GovernmentAdvisory.Measure.choices, required=False)
    platforms = serializers.PrimaryKeyRelatedField(queryset=Platform.objects.all(), many=True, required=False)
    reasons = serializers.SlugRelatedField(
        slug_field="slug", queryset=AdvisoryReason.objects.all(), many=True, required=False
    )
    alternative = serializers.CharField(required=False, allow_blank=True)
    source = serializers.CharField(max_length=300, required=False, allow_blank=True)
    source_url = serializers.URLField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class LiftInput(InputSerializer):
    lifted_on = serializers.DateField()
    reason = serializers.CharField()


class GovernmentAdvisoryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """The register of government advisories about platforms. POST records, PATCH corrects, `lift/` lifts."""

    serializer_class = AdvisorySerializer
    filterset_class = AdvisoryFilter
    ordering_fields = ["issued_on"]
    queryset = (
        GovernmentAdvisory.objects.select_related("recorded_by")
        .prefetch_related("platforms", "reasons")
        .order_by("-issued_on", "-id")
    )

    def get_permissions(self):
        if self.action == "lift":
            return [IsAuthenticated(), CanViewAdvisories()]  # the service checks change_governmentadvisory
        return super().get_permissions()

    @extend_schema(request=AdvisoryInput, responses=AdvisorySerializer)
    def create(self, request):
        return Response(AdvisorySerializer(self._save(request, None)).data, status=201)

    @extend_schema(request=AdvisoryInput, responses=AdvisorySerializer)
    def partial_update(self, request, pk=None):
        return Response(AdvisorySerializer(self._save(request, self.get_object())).data)

    def _save(self, request, advisory):
        data = AdvisoryInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        platforms, reasons = values.pop("platforms", None), values.pop("reasons", None)
        advisory = services.record_advisory(
            actor=request.user, advisory=advisory, platforms=platforms, reasons=reasons, **values
        )
        return self.get_queryset().get(pk=advisory.pk)

    @extend_schema(request=LiftInput, responses=AdvisorySerializer)
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        data = LiftInput(data=request.data)
        data.is_valid(raise_exception=True)
        advisory = services.lift_advisory(actor=request.user, advisory=self.get_object(), **data.validated_data)
        return Response(AdvisorySerializer(self.get_queryset().get(pk=advisory.pk)).data)


class CanViewAdvisories(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.has_perm("platforms.view_governmentadvisory"))
