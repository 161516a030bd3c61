"""API tokens through the API: list, issue (the key shown once), revoke."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from tracker.core.inputs import InputSerializer
from tracker.core.rest import validated

from . import tokens
from .models import ApiToken


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
