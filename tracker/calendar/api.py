"""POST /api/v1/calendar-feed/ makes the caller's calendar address (shown once); DELETE turns it off."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from tracker.core.inputs import InputSerializer
from tracker.core.parsers import JSONParser
from tracker.core.rest import validated

from . import feeds


class IssuedFeedSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="the secret address to subscribe to; shown this once")
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()


class NoInput(InputSerializer):
    """No fields: any field sent is refused."""


class CalendarFeedView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(request=NoInput, responses={201: IssuedFeedSerializer})
    def post(self, request):
        """A new secret iCalendar address of your deadlines; your previous one stops working."""
        validated(NoInput, request.data)
        feed, secret = feeds.issue_feed(user=request.user)
        url = request.build_absolute_uri(f"/calendar/{secret}.ics")
        body = {"url": url, "prefix": feed.prefix, "created_at": feed.created_at}
        return Response(IssuedFeedSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None, 404: OpenApiResponse(description="no address to turn off")})
    def delete(self, request):
        """Turn your calendar address off."""
        if not feeds.revoke_feed(user=request.user):
            raise NotFound(_("You have no calendar address to turn off."))
        return Response(status=status.HTTP_204_NO_CONTENT)
