"""API of evidence: read and download; attaching goes through an item."""

from django.http import FileResponse
from rest_framework import serializers, viewsets
from rest_framework.decorators import action

from tracker.core import audit
from tracker.core.inputs import InputSerializer
from tracker.core.models import AuditEntry
from tracker.evidence import services as evidence_services
from tracker.evidence.models import Evidence


class EvidenceSerializer(serializers.ModelSerializer):
    sha256 = serializers.CharField(source="file.sha256", read_only=True)
    size = serializers.IntegerField(source="file.size", read_only=True)
    content_type = serializers.CharField(source="file.content_type", read_only=True)
    captured_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id", "item", "original_name", "description", "sha256", "size", "content_type", "captured_at",
            "captured_by", "attached_at", "supersedes", "download",
        ]  # fmt: skip

    def get_download(self, evidence) -> str:
        request = self.context.get("request")
        path = f"/api/v1/evidence/{evidence.pk}/download/"
        return request.build_absolute_uri(path) if request else path


class EvidenceUploadSerializer(InputSerializer):
    file = serializers.FileField(allow_empty_file=True)
    captured_at = serializers.DateTimeField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    supersedes = serializers.PrimaryKeyRelatedField(queryset=Evidence.objects.all(), required=False)


class EvidenceViewSet(viewsets.ReadOnlyModelViewSet):
    """Evidence as attached; nothing changes or deletes it. `download` returns the stored bytes."""

    queryset = Evidence.objects.select_related("file", "captured_by")
    serializer_class = EvidenceSerializer
    filterset_fields = ["item"]

    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        return evidence_download_response(self.get_object(), reader=request.user)


def evidence_download_response(evidence: Evidence, *, reader) -> FileResponse:
    """The file as an attachment (a saved HTML page must never run in the tracker's own origin); who read it
    is recorded in the audit trail."""
    audit.record(obj=evidence, action=AuditEntry.Action.EVENT, actor=reader, reason="downloaded")
    content_type = evidence.file.content_type
    response = FileResponse(
        evidence_services.open_evidence(evidence),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=content_type if content_type.startswith("image/") else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Evidence-SHA256"] = evidence.file.sha256
    return response
