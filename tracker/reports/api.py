"""GET /api/v1/figures/: every figure of a period, as the figures page shows it and its JSON export holds it."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from tracker.core.errors import DomainError
from tracker.core.inputs import InputSerializer
from tracker.core.parsers import JSONParser
from tracker.core.rest import validated

from . import transparency
from .access import READ_FIGURES
from .composed import INTERVALS, choice, compose
from .figures import GROUPINGS
from .models import TransparencyReport
from .periods import PRESETS, period_from

PARAMETERS = ("from", "to", "preset", "group", "interval")
Share = serializers.FloatField  # a fraction 0..1, null when there is nothing to divide
Seconds = serializers.FloatField  # a duration in seconds, null when nothing was measured


class PlatformFiguresSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="platform slug, category slug or urgency")
    label = serializers.CharField()
    notices = serializers.IntegerField(help_text="notices sent in the period")
    items = serializers.IntegerField(help_text="items in those notices")
    answered = serializers.IntegerField()
    answered_in_time = serializers.IntegerField(help_text="answered at or before the notice's deadline")
    removed = serializers.IntegerField(help_text="removed or restricted in the country")
    removed_in_time = serializers.IntegerField()
    removed_share = Share(allow_null=True)
    in_time_share = Share(allow_null=True, help_text="removed within the deadline, of the items noticed")
    refused = serializers.IntegerField()
    answer_p50 = Seconds(allow_null=True)
    answer_p90 = Seconds(allow_null=True)
    removal_p50 = Seconds(allow_null=True)
    removal_p90 = Seconds(allow_null=True)
    rebuttals_upheld = serializers.IntegerField()
    rebuttals_withdrawn = serializers.IntegerField()
    rebuttals_undecided = serializers.IntegerField()
    overdue_now = serializers.IntegerField()
    highest_step = serializers.IntegerField(allow_null=True, help_text="the highest ladder position reached")
    sanctions_imposed = serializers.IntegerField()
    sanctions_paid = serializers.IntegerField()


class ISPFiguresSerializer(serializers.Serializer):
    key = serializers.IntegerField(help_text="ISP id")
    label = serializers.CharField()
    orders = serializers.IntegerField(help_text="block and lift orders issued to it in the period")
    lifts = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    acknowledge_due = serializers.IntegerField(help_text="acknowledged, or due while the order was in force")
    acknowledged_in_time = serializers.IntegerField()
    acknowledged_in_time_share = Share(allow_null=True)
    implemented = serializers.IntegerField()
    implement_due = serializers.IntegerField()
    implemented_in_time = serializers.IntegerField()
    implemented_in_time_share = Share(allow_null=True)
    acknowledge_p50 = Seconds(allow_null=True)
    acknowledge_p90 = Seconds(allow_null=True)
    implement_p50 = Seconds(allow_null=True)
    implement_p90 = Seconds(allow_null=True)
    reminded = serializers.IntegerField(help_text="orders it needed at least one reminder for")
    checks_passed = serializers.IntegerField()
    checks_failed = serializers.IntegerField()
    checks_unanswered = serializers.IntegerField()
    checks_passed_share = Share(allow_null=True)
    still_blocking_after_lift = serializers.IntegerField()
    zone_transfers = serializers.IntegerField(help_text="transfers of its RPZ zone by its resolvers in the period")
    zone_transfer_lag_p50 = Seconds(allow_null=True, help_text="from a blocklist version's making to its transfer")
    zone_transfer_lag_p90 = Seconds(allow_null=True)


class CountedSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    items = serializers.IntegerField()


class ImportFiguresSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    rows = serializers.IntegerField()
    imported = serializers.IntegerField()
    merged = serializers.IntegerField()
    rejected = serializers.IntegerField()


class OpenNoticesSerializer(serializers.Serializer):
    owner = serializers.CharField(help_text="the case owner's username")
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()


class WorkFiguresSerializer(serializers.Serializer):
    logged = serializers.IntegerField()
    by_source = CountedSerializer(many=True)
    by_category = CountedSerializer(many=True)
    backlog = serializers.IntegerField(help_text="unverified items now")
    backlog_oldest_age = Seconds(allow_null=True)
    backlog_median_age = Seconds(allow_null=True)
    imports = ImportFiguresSerializer()
    open_notices = OpenNoticesSerializer(many=True)


class TrendSerializer(serializers.Serializer):
    starts = serializers.DateField(help_text="the week's Monday or the month's first day")
    notices_sent = serializers.IntegerField()
    items_logged = serializers.IntegerField()
    items_removed = serializers.IntegerField()
    orders_issued = serializers.IntegerField()


class PeriodSerializer(serializers.Serializer):
    from_ = serializers.DateField()
    to = serializers.DateField(help_text="inclusive")
    time_zone = serializers.CharField(help_text="the days are whole days in this zone")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class RecheckFiguresSerializer(serializers.Serializer):
    answers = serializers.IntegerField(help_text="items the platforms said they removed or restricted in the period")
    confirmed = serializers.IntegerField(help_text="of those, found gone or restricted when checked again")
    not_borne_out = serializers.IntegerField(help_text="found still there")
    confirmed_share = Share(allow_null=True)
    median_seconds_to_confirmed_removal = Seconds(allow_null=True, help_text="from the notice to the first check")
    reuploads = serializers.IntegerField(help_text="items found back after a check had found them gone")


class FiguresSerializer(serializers.Serializer):
    period = PeriodSerializer()
    computed_at = serializers.DateTimeField()
    group_by = serializers.ChoiceField(choices=list(GROUPINGS))
    interval = serializers.ChoiceField(choices=list(INTERVALS))
    platforms = PlatformFiguresSerializer(many=True)
    isps = ISPFiguresSerializer(many=True)
    work = WorkFiguresSerializer()
    trends = TrendSerializer(many=True)
    rechecks = RecheckFiguresSerializer()


class FiguresView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="first day (YYYY-MM-DD) in your time zone"),
            OpenApiParameter("to", str, description="last day, inclusive"),
            OpenApiParameter("preset", str, enum=list(PRESETS), description="a named period instead of from/to"),
            OpenApiParameter(
                "group",
                str,
                enum=list(GROUPINGS),
                description="platform figures by platform (default), category or urgency",
            ),
            OpenApiParameter(
                "interval",
                str,
                enum=list(INTERVALS),
                description="trend buckets; weeks for periods up to 120 days, else months",
            ),
        ],
        responses=FiguresSerializer,
    )
    def get(self, request):
        """Platforms' answers, ISPs' deadlines, the ministry's work and weekly or monthly trends for a period
        (this quarter so far by default). Shares are fractions, durations seconds."""
        if not request.user.has_perm(READ_FIGURES):
            raise PermissionDenied()
        unknown = sorted(set(request.query_params) - set(PARAMETERS))
        if unknown:
            message = _("Unknown parameter: %(names)s") % {"names": ", ".join(unknown)}
            raise DomainError(message, fields={name: [message] for name in unknown})
        params = request.query_params
        period = period_from(params)
        group_by = choice(params, "group", tuple(GROUPINGS), "platform")
        interval = choice(params, "interval", INTERVALS, "week") if params.get("interval") else None
        return Response(FiguresSerializer(compose(period, group_by=group_by, interval=interval)).data)


class NoInput(InputSerializer):
    """No fields: any field sent is refused."""


class DraftInput(InputSerializer):
    from_ = serializers.DateField(help_text="first day, in your time zone")
    to = serializers.DateField(help_text="last day, inclusive; a day that is over")
    language = serializers.ChoiceField(choices=settings.LANGUAGES)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class TransparencyReportSerializer(serializers.ModelSerializer):
    drafted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    pdf_url = serializers.SerializerMethodField(help_text="the approved PDF, byte for byte; null for a draft")

    class Meta:
        model = TransparencyReport
        fields = [
            "id", "title", "first_day", "last_day", "time_zone", "language", "status", "drafted_by", "drafted_at",
            "approved_by", "approved_at", "json_sha256", "html_sha256", "pdf_sha256", "pdf_url", "content",
        ]  # fmt: skip
        read_only_fields = fields

    def get_pdf_url(self, report) -> str | None:
        if report.status != TransparencyReport.Status.APPROVED:
            return None
        return reverse("figures-report-edition", args=[report.pk, "pdf"])


class TransparencyReportViewSet(viewsets.ReadOnlyModelViewSet):
    """Transparency reports: supervisors draft one (POST) and another supervisor approves it."""

    serializer_class = TransparencyReportSerializer
    queryset = TransparencyReport.objects.select_related("drafted_by", "approved_by").defer(
        "published_pdf", "published_html", "published_json"
    )
    parser_classes = [JSONParser]

    @extend_schema(request=DraftInput, responses={201: TransparencyReportSerializer})
    def create(self, request):
        """Draft the report of a period: its figures and registers are computed now and kept."""
        data = validated(DraftInput, request.data)
        period = period_from({"from": data["from"].isoformat(), "to": data["to"].isoformat()})
        report = transparency.draft_report(actor=request.user, period=period, language=data["language"])
        return Response(self.get_serializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=NoInput, responses={200: TransparencyReportSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve another supervisor's draft: it is rendered (JSON, HTML, PDF) and kept with each SHA-256."""
        validated(NoInput, request.data)
        report = transparency.approve_report(actor=request.user, report=self.get_object())
        return Response(self.get_serializer(report).data)
