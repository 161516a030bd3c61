"""Accounts through the API: API tokens (the key shown once), people, their roles and role grants."""

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tracker.core.inputs import InputSerializer
from tracker.core.models import Role
from tracker.core.rest import validated

from . import grants, saved_filters, second_factor, tokens
from .models import ApiToken, RoleGrant, SavedFilter
from .people import people, role_names


class ApiTokenSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    usable = serializers.BooleanField(source="is_usable", read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at", "usable"]


class IssuedTokenSerializer(ApiTokenSerializer):
    key = serializers.CharField(read_only=True, help_text="Shown this once; the tracker keeps only its hash.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]


class IssueInput(InputSerializer):
    name = serializers.CharField(max_length=100)
    days = serializers.IntegerField(required=False, min_value=1, help_text="How long it lasts; 90 by default.")
    user = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.all(),
        required=False,
        help_text="Administrators only: whose token it is (an ISP account). Yourself by default.",
    )


class RevokeInput(InputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your API tokens (administrators: everyone's, `?user=` to choose). Keys are never shown again."""

    serializer_class = ApiTokenSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_fields = ["user__username"]

    def get_queryset(self):
        queryset = ApiToken.objects.select_related("user")
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return queryset.none()
        if not self.request.user.has_perm("accounts.view_apitoken"):
            queryset = queryset.filter(user=self.request.user)
        return queryset

    @extend_schema(request=IssueInput, responses={201: IssuedTokenSerializer})
    def create(self, request):
        data = validated(IssueInput, request.data)
        token, key = tokens.issue_token(
            actor=request.user, owner=data.get("user", request.user), name=data["name"], days=data.get("days")
        )
        token.key = key
        return Response(IssuedTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RevokeInput, responses={200: ApiTokenSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        data = validated(RevokeInput, request.data)
        token = tokens.revoke_token(actor=request.user, token=self.get_object(), reason=data.get("reason", ""))
        return Response(ApiTokenSerializer(token).data)


# --- people and their roles (administrators act; auditors read) ---------------------------------------------


class PersonSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    has_second_factor = serializers.BooleanField(read_only=True)

    class Meta:
        model = get_user_model()
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_active",
            "roles",
            "has_second_factor",
            "last_login",
            "date_joined",
        ]

    def get_roles(self, user) -> list[str]:
        return role_names(user)


class RoleGrantSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = RoleGrant
        fields = ["id", "user", "role", "status", "reason", "requested_by", "requested_at", "decided_by", "decided_at"]


class InviteInput(InputSerializer):
    # The model's own rule (letters, digits and @.+-_), which the response's schema also states.
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    email = serializers.EmailField(required=False, allow_blank=True)
    first_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)
    role = serializers.ChoiceField(choices=Role.choices, required=False, allow_blank=True, default="")
    otp_code = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Needed for supervisor and administrator."
    )


class InvitedSerializer(PersonSerializer):
    set_password_link = serializers.CharField(
        read_only=True, help_text="Hand this to the person: it sets their password."
    )

    class Meta(PersonSerializer.Meta):
        fields = [*PersonSerializer.Meta.fields, "set_password_link"]


class GrantInput(InputSerializer):
    role = serializers.ChoiceField(choices=Role.choices)
    reason = serializers.CharField()
    otp_code = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Needed for supervisor and administrator."
    )


class RoleReasonInput(InputSerializer):
    role = serializers.ChoiceField(choices=Role.choices)
    reason = serializers.CharField()


class ReasonInput(InputSerializer):
    reason = serializers.CharField()


class CodeInput(InputSerializer):
    otp_code = serializers.CharField()


class CanManagePeople(permissions.BasePermission):
    """Reading needs view_rolegrant (administrators, auditors); acting is checked again by the services."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return request.user.has_perm("accounts.view_rolegrant")
        return request.user.has_perm("accounts.add_rolegrant")


class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """People, their roles and second factors. Administrators invite, grant, remove, deactivate and reset."""

    serializer_class = PersonSerializer
    permission_classes = [permissions.IsAuthenticated, CanManagePeople]
    filterset_fields = ["is_active", "groups__name"]

    def get_queryset(self):
        return people().order_by("username")

    @extend_schema(request=InviteInput, responses={201: InvitedSerializer})
    @action(detail=False, methods=["post"])
    def invite(self, request):
        data = validated(InviteInput, request.data)
        user, link = grants.invite(actor=request.user, **data)
        user = self.get_queryset().get(pk=user.pk)
        user.set_password_link = request.build_absolute_uri(link)
        return Response(InvitedSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=GrantInput, responses={200: PersonSerializer, 202: RoleGrantSerializer})
    @action(detail=True, methods=["post"], url_path="grant-role")
    def grant_role(self, request, pk=None):
        data = validated(GrantInput, request.data)
        grant = grants.grant_role(actor=request.user, user=self.get_object(), **data)
        if grant is not None:  # waits for a second administrator
            return Response(RoleGrantSerializer(grant).data, status=status.HTTP_202_ACCEPTED)
        return Response(PersonSerializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=RoleReasonInput, responses={200: PersonSerializer})
    @action(detail=True, methods=["post"], url_path="remove-role")
    def remove_role(self, request, pk=None):
        data = validated(RoleReasonInput, request.data)
        grants.remove_role(actor=request.user, user=self.get_object(), **data)
        return Response(PersonSerializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=ReasonInput, responses={200: PersonSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        grants.set_active(
            actor=request.user, user=self.get_object(), active=False, **validated(ReasonInput, request.data)
        )
        return Response(PersonSerializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=ReasonInput, responses={200: PersonSerializer})
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        grants.set_active(
            actor=request.user, user=self.get_object(), active=True, **validated(ReasonInput, request.data)
        )
        return Response(PersonSerializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=ReasonInput, responses={200: PersonSerializer})
    @action(detail=True, methods=["post"], url_path="reset-second-factor")
    def reset_second_factor(self, request, pk=None):
        second_factor.reset(actor=request.user, user=self.get_object(), **validated(ReasonInput, request.data))
        return Response(PersonSerializer(self.get_queryset().get(pk=pk)).data)


class RoleGrantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Requests for the supervisor and administrator roles; a second administrator confirms or refuses."""

    serializer_class = RoleGrantSerializer
    permission_classes = [permissions.IsAuthenticated, CanManagePeople]
    queryset = RoleGrant.objects.select_related("user", "requested_by", "decided_by")
    filterset_fields = ["status", "role"]

    @extend_schema(request=CodeInput, responses={200: RoleGrantSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        grant = grants.confirm_grant(actor=request.user, grant=self.get_object(), **validated(CodeInput, request.data))
        return Response(RoleGrantSerializer(grant).data)

    @extend_schema(request=ReasonInput, responses={200: RoleGrantSerializer})
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        grant = grants.refuse_grant(actor=request.user, grant=self.get_object(), **validated(ReasonInput, request.data))
        return Response(RoleGrantSerializer(grant).data)


# --- saved filters (each person's own) ------------------------------------------------------------------------


class SavedFilterSerializer(serializers.ModelSerializer):
    address = serializers.SerializerMethodField(help_text="the list's page with this filter: shareable as is")

    class Meta:
        model = SavedFilter
        fields = ["id", "list_name", "name", "query", "created_at", "address"]

    def get_address(self, saved) -> str:
        return saved_filters.address_of(saved)


class SaveFilterInput(InputSerializer):
    list_name = serializers.ChoiceField(choices=saved_filters.LISTS)
    name = serializers.CharField(max_length=100)
    query = serializers.CharField(max_length=2000, allow_blank=True, help_text="the list's query string")


class SavedFilterViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Your saved list filters; saving under a name you used replaces that one. Nobody sees another's."""

    serializer_class = SavedFilterSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_fields = ["list_name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return SavedFilter.objects.none()
        return SavedFilter.objects.filter(user=self.request.user).order_by("list_name", "name", "id")

    @extend_schema(request=SaveFilterInput, responses={201: SavedFilterSerializer})
    def create(self, request):
        data = validated(SaveFilterInput, request.data)
        saved = saved_filters.save_filter(user=request.user, **data)
        return Response(SavedFilterSerializer(saved).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        saved_filters.delete_filter(user=self.request.user, saved=instance)
