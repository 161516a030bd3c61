"""API of escalation ladders (policies) and their steps, with the permissions of the pages that keep them.

Read by the notice desk (liaison officers, supervisors, auditors, administrators). Administrators keep ladders
and steps as they do in the admin: create, change, never delete (`add_`/`change_escalationpolicy`,
`add_`/`change_escalationstep`, `add_`/`change_steptranslation`). Supervisors and administrators choose a
platform's ladder (`assign`), as on the platform page. Each write is checked before its body is read, and
again by its service in `notices.ladder`.
"""

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from platforms.models import Platform
from tracker.core.errors import require_permission
from tracker.core.inputs import InputSerializer
from tracker.core.rest import validated

from . import ladder
from .models import EscalationPolicy, EscalationStep, StepTranslation

REFUSED = OpenApiResponse(description="not allowed: the project's JSON error")
INVALID = OpenApiResponse(description="invalid input (a field not taken here, an unknown placeholder, ...)")
MISSING = OpenApiResponse(description="no such record")


class CanReadLadders(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.has_perm(view.read_permission))


# --- output ---------------------------------------------------------------------------------------


class StepTranslationSerializer(serializers.ModelSerializer):
    class Meta:
        model = StepTranslation
        fields = ["language", "subject_template", "body_template"]


class EscalationStepSerializer(serializers.ModelSerializer):
    translations = StepTranslationSerializer(many=True, read_only=True)

    class Meta:
        model = EscalationStep
        fields = [
            "id", "policy", "position", "name", "kind", "subject_template", "body_template",
            "urgent_response_minutes", "normal_response_minutes", "business_hours", "automatic", "sanction_amount",
            "translations",
        ]  # fmt: skip


class EscalationPolicySerializer(serializers.ModelSerializer):
    steps = EscalationStepSerializer(many=True, read_only=True)

    class Meta:
        model = EscalationPolicy
        fields = ["id", "name", "platform", "is_default", "time_zone", "holiday_country", "description", "steps"]


# --- input ----------------------------------------------------------------------------------------


class PolicyInput(InputSerializer):
    name = serializers.CharField(max_length=150)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000, default="")
    time_zone = serializers.CharField(required=False, max_length=64, default="Asia/Jakarta")
    holiday_country = serializers.CharField(required=False, max_length=2, default="ID")
    is_default = serializers.BooleanField(required=False, default=False)


class PolicyChangeInput(InputSerializer):
    """Only the fields given change; a platform's ladder is chosen with `assign`."""

    name = serializers.CharField(required=False, max_length=150)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    time_zone = serializers.CharField(required=False, max_length=64)
    holiday_country = serializers.CharField(required=False, max_length=2)
    is_default = serializers.BooleanField(required=False)


class AssignInput(InputSerializer):
    platform = serializers.PrimaryKeyRelatedField(queryset=Platform.objects.all())


class TranslationInput(InputSerializer):
    language = serializers.CharField(max_length=8)
    subject_template = serializers.CharField(max_length=300)
    body_template = serializers.CharField(max_length=200000)


class StepChangeInput(InputSerializer):
    """Only the fields given change; a step never moves to another ladder. `translations` adds or changes the
    step's text in each language given."""

    position = serializers.IntegerField(required=False, min_value=1, max_value=32767)
    name = serializers.CharField(required=False, max_length=150)
    kind = serializers.ChoiceField(required=False, choices=EscalationStep.Kind.choices)
    subject_template = serializers.CharField(required=False, allow_blank=True, max_length=300)
    body_template = serializers.CharField(required=False, allow_blank=True, max_length=200000)
    urgent_response_minutes = serializers.IntegerField(required=False, min_value=1)
    normal_response_minutes = serializers.IntegerField(required=False, min_value=1)
    business_hours = serializers.BooleanField(required=False)
    automatic = serializers.BooleanField(required=False)
    sanction_amount = serializers.DecimalField(
        required=False, allow_null=True, max_digits=14, decimal_places=2, min_value=0
    )
    translations = TranslationInput(many=True, required=False)


class StepInput(StepChangeInput):
    policy = serializers.PrimaryKeyRelatedField(queryset=EscalationPolicy.objects.all())
    position = serializers.IntegerField(min_value=1, max_value=32767)
    name = serializers.CharField(max_length=150)
    kind = serializers.ChoiceField(choices=EscalationStep.Kind.choices)


# --- views ----------------------------------------------------------------------------------------


def _steps():
    return EscalationStep.objects.prefetch_related(
        Prefetch("translations", StepTranslation.objects.order_by("language"))
    ).order_by("policy", "position")


class EscalationPolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Escalation ladders with their steps. POST and PATCH keep them (administrators); `assign` gives a platform
    a ladder (supervisors and administrators; the default ladder sends it back to the default)."""

    queryset = EscalationPolicy.objects.prefetch_related(Prefetch("steps", _steps())).order_by("name")
    serializer_class = EscalationPolicySerializer
    permission_classes = [IsAuthenticated, CanReadLadders]
    read_permission = "notices.view_escalationpolicy"
    filterset_fields = ["platform", "is_default"]

    @extend_schema(request=PolicyInput, responses={201: EscalationPolicySerializer, 400: INVALID, 403: REFUSED})
    def create(self, request):
        require_permission(request.user, "notices.add_escalationpolicy")
        data = validated(PolicyInput, request.data)
        policy = ladder.create_escalation_policy(actor=request.user, **data)
        return Response(self._shape(policy), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=PolicyChangeInput,
        responses={200: EscalationPolicySerializer, 400: INVALID, 403: REFUSED, 404: MISSING},
    )
    def partial_update(self, request, pk=None):
        require_permission(request.user, "notices.add_escalationpolicy")
        require_permission(request.user, "notices.change_escalationpolicy")
        policy = self.get_object()
        data = validated(PolicyChangeInput, request.data)
        policy = ladder.change_escalation_policy(policy=policy, actor=request.user, **data)
        return Response(self._shape(policy))

    @extend_schema(
        request=AssignInput,
        responses={
            200: OpenApiResponse(EscalationPolicySerializer, description="the ladder the platform follows now"),
            400: INVALID,
            403: REFUSED,
            404: MISSING,
        },
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        require_permission(request.user, "notices.change_escalationpolicy")
        policy = self.get_object()
        data = validated(AssignInput, request.data)
        applies = ladder.assign_escalation_policy(platform=data["platform"], policy=policy, actor=request.user)
        return Response(self._shape(applies))

    def _shape(self, policy):
        return self.get_serializer(self.get_queryset().get(pk=policy.pk)).data


class EscalationStepViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The steps of the ladders (`?policy=`), in order. POST adds one and PATCH changes one (administrators)."""

    queryset = _steps()
    serializer_class = EscalationStepSerializer
    permission_classes = [IsAuthenticated, CanReadLadders]
    read_permission = "notices.view_escalationstep"
    filterset_fields = ["policy", "kind"]
    ordering = ["policy", "position"]

    @extend_schema(request=StepInput, responses={201: EscalationStepSerializer, 400: INVALID, 403: REFUSED})
    def create(self, request):
        require_permission(request.user, "notices.add_escalationstep")
        data = validated(StepInput, request.data)
        step = ladder.add_escalation_step(actor=request.user, translations=data.pop("translations", ()), **data)
        return Response(self._shape(step), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=StepChangeInput,
        responses={200: EscalationStepSerializer, 400: INVALID, 403: REFUSED, 404: MISSING},
    )
    def partial_update(self, request, pk=None):
        require_permission(request.user, "notices.change_escalationstep")
        step = self.get_object()
        data = validated(StepChangeInput, request.data)
        step = ladder.change_escalation_step(
            step=step, actor=request.user, translations=data.pop("translations", ()), **data
        )
        return Response(self._shape(step))

    def _shape(self, step):
        return self.get_serializer(self.get_queryset().get(pk=step.pk)).data
