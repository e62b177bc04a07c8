"""`POST /api/v1/agent-logs`: a coding agent's session log (Claude Code or OpenAI Codex
CLI, one `.jsonl` file, multipart field `file`) imported as usage events.

Translation only: the file goes to `usage.services.agent_logs.agent_log_import`, the one
path `manage.py import_agent_logs` takes too, and its summary is the answer. The whole file
is one transaction, so a refused upload (the daily quota) stores nothing.
"""

from typing import Any

from django.conf import settings
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from tokentracker.api.base import NativeViewSet
from tokentracker.api.errors import ApiError, Kind
from tokentracker.money import reporting_currency_of
from usage.agent_logs import LogFormat
from usage.services.agent_logs import (
    MAX_DEVELOPER_ID_LENGTH,
    MAX_PROBLEMS,
    AgentLogImport,
    agent_log_import,
)

FIELD = "file"
AUTO = "auto"
# Room for the multipart boundaries and the small fields around the file.
MULTIPART_OVERHEAD = 64 * 1024


class AgentLogUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="One session log: a Claude Code `~/.claude/projects/**/*.jsonl` or an "
        "OpenAI Codex CLI `~/.codex/sessions/**/*.jsonl` file (see AGENT_LOG_UPLOAD_MAX_BYTES)."
    )
    format = serializers.ChoiceField(
        choices=[AUTO, *LogFormat],
        default=AUTO,
        required=False,
        help_text="The file's format; `auto` (the default) detects it from its lines.",
    )
    developer_id = serializers.CharField(
        max_length=MAX_DEVELOPER_ID_LENGTH,
        required=False,
        help_text="Recorded as every event's developer_id, e.g. the developer's user name.",
    )


class LogProblemSerializer(serializers.Serializer):
    file = serializers.CharField()
    line = serializers.IntegerField(help_text="The line of the file (1 is the first).")
    reason = serializers.CharField()


class AgentLogImportSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=list(LogFormat), help_text="The format read.")
    lines = serializers.IntegerField(help_text="Lines read.")
    events = serializers.IntegerField(
        help_text="Model calls found (a Claude Code message written on several lines is one)."
    )
    created = serializers.IntegerField(help_text="Events stored by this upload.")
    duplicates = serializers.IntegerField(
        help_text="Events already stored (an earlier upload of the same log): not stored again."
    )
    unpriced = serializers.IntegerField(
        help_text="Events stored without a cost (a model the price catalog does not know)."
    )
    rejected = serializers.IntegerField(help_text="Events the ingest refused, not stored.")
    malformed = serializers.IntegerField(help_text="Lines that could not be read.")
    total_cost = serializers.FloatField(
        help_text="Cost of the events stored by this upload, in `currency`."
    )
    currency = serializers.CharField(help_text="The organization's reporting currency.")
    problems = LogProblemSerializer(
        many=True,
        help_text=f"The first {MAX_PROBLEMS} malformed lines and refused events, and why.",
    )


def _import_answer(summary: AgentLogImport, currency: str) -> dict[str, Any]:
    return {
        "format": summary.formats[0],
        "lines": summary.lines,
        "events": summary.events,
        "created": summary.created,
        "duplicates": summary.duplicates,
        "unpriced": summary.unpriced,
        "rejected": summary.rejected,
        "malformed": summary.malformed,
        "total_cost": float(summary.total_cost),
        "currency": currency,
        "problems": [
            {"file": problem.file, "line": problem.line, "reason": problem.reason}
            for problem in summary.problems
        ],
    }


def _too_large(size: int) -> ApiError:
    limit = settings.AGENT_LOG_UPLOAD_MAX_BYTES
    message = (
        f"The file is {size} bytes; a session log upload may be at most {limit} bytes. "
        "Import larger logs with `manage.py import_agent_logs`."
    )
    return ApiError(
        Kind.VALIDATION,
        message,
        details={FIELD: [message], "max_bytes": limit},
        status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


class AgentLogViewSet(NativeViewSet):
    parser_classes = [MultiPartParser]
    serializer_class = AgentLogUploadSerializer
    writes = "agent-log imports"

    @extend_schema(
        summary="Import a coding agent's session log",
        description=(
            "Multipart: `file`, one Claude Code or OpenAI Codex CLI session log (JSON lines), "
            "with optional `format` and `developer_id`. Each model call becomes a usage event "
            "through the same ingest as `POST /api/v1/events`: Claude's cache reads and writes "
            "on top of its input, Codex's cached tokens inside it, priced from the catalog. "
            "Every event has a stable id, so uploading the same log again (or a longer "
            "version of it) stores only what is new: 201 when something was stored, 200 "
            "when nothing was. Lines that cannot be read are counted in `malformed` and "
            "named in `problems`, never a failure. A file that is neither agent's log is a "
            "422 (`details.reason`: unrecognised_log), a file over the size limit a 413; "
            "a write key is needed."
        ),
        request={"multipart/form-data": AgentLogUploadSerializer},
        responses={
            200: OpenApiResponse(AgentLogImportSerializer, description="Nothing new to store"),
            201: OpenApiResponse(AgentLogImportSerializer, description="Events stored"),
            401: OpenApiResponse(description="Invalid or missing API token"),
            403: OpenApiResponse(description="The API key is read-only"),
            413: OpenApiResponse(description="The file is over the size limit"),
            422: OpenApiResponse(description="No file, a bad field, or not a session log"),
            429: OpenApiResponse(description="Daily event limit reached; nothing stored"),
        },
        tags=["agent-logs"],
    )
    def create(self, request: Request) -> Response:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:  # as Django reads it: no usable length, no body
            declared = 0
        if declared > settings.AGENT_LOG_UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD:
            raise _too_large(declared)
        if not request.content_type.startswith("multipart/form-data"):
            raise ApiError(
                Kind.VALIDATION,
                f"Send the log as multipart/form-data, in a field named {FIELD}.",
                details={FIELD: ["not multipart/form-data"], "reason": "not_multipart"},
            )
        upload_form = self.get_serializer(data=request.data)
        upload_form.is_valid(raise_exception=True)
        upload = upload_form.validated_data[FIELD]
        if upload.size > settings.AGENT_LOG_UPLOAD_MAX_BYTES:
            raise _too_large(upload.size)
        chosen = upload_form.validated_data["format"]
        with transaction.atomic():
            summary = agent_log_import(
                organization_id=self.organization_id,
                api_key_id=self.api_key_id,
                source=upload.name or FIELD,
                lines=upload,
                log_format=None if chosen == AUTO else LogFormat(chosen),
                developer_id=upload_form.validated_data.get("developer_id"),
            )
        return Response(
            _import_answer(summary, reporting_currency_of(self.organization_id)),
            status=status.HTTP_201_CREATED if summary.created else status.HTTP_200_OK,
        )
