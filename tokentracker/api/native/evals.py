"""`/api/v1/evals`: record LLM-as-judge results against a logged call, and list them.

Tokenwise's `GET /api/v1/public/evals` reads the same rows.
"""

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from tokentracker.api.base import NativeViewSet
from tokentracker.api.pagination import CursorPagination
from usage.models import Eval
from usage.services.evals import SCORE_MAX, SCORE_MIN, UnknownEvent, eval_record

MAX_CRITERIA = 50


class EvalSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    event_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="The usage event scored: `id` from /api/v1/events or /api/v1/public/requests.",
    )
    overall_score = serializers.FloatField(min_value=SCORE_MIN, max_value=SCORE_MAX)
    scores = serializers.DictField(
        child=serializers.FloatField(min_value=SCORE_MIN, max_value=SCORE_MAX),
        required=False,
        help_text="Criterion name → score (0-100).",
    )
    reasoning = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        model = Eval
        fields = [
            "id",
            "event_id",
            "prompt_group_id",
            "overall_score",
            "scores",
            "reasoning",
            "judge_model",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]

    def validate_scores(self, scores: dict[str, float]) -> dict[str, float]:
        if len(scores) > MAX_CRITERIA:
            raise serializers.ValidationError(f"At most {MAX_CRITERIA} criteria.")
        for name in scores:
            if not name.strip() or len(name) > 100:
                raise serializers.ValidationError("Criterion names must be 1 to 100 characters.")
        return scores


class EvalFilter(django_filters.FilterSet):
    prompt_group_id = django_filters.UUIDFilter()
    event_id = django_filters.UUIDFilter(field_name="event_id")

    class Meta:
        model = Eval
        fields = ["prompt_group_id", "event_id"]


class EvalCursorPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500


@extend_schema_view(
    list=extend_schema(summary="List eval results", tags=["evals"]),
    retrieve=extend_schema(summary="One eval result", tags=["evals"]),
)
class EvalViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, NativeViewSet
):
    queryset = Eval.objects.all()
    serializer_class = EvalSerializer
    filterset_class = EvalFilter
    pagination_class = EvalCursorPagination
    lookup_field = "uuid"

    @extend_schema(
        summary="Record an eval result",
        description=(
            "One LLM-as-judge scoring run of a prompt group, optionally against the usage "
            "event it scored. Scores are 0-100."
        ),
        responses={
            201: EvalSerializer,
            401: OpenApiResponse(description="Invalid or missing API token"),
            403: OpenApiResponse(description="The API key is read-only"),
            422: OpenApiResponse(description="Validation failed; details names each field"),
        },
        tags=["evals"],
    )
    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            run = eval_record(
                organization_id=self.organization_id,
                event_id=data.get("event_id"),
                prompt_group_id=data["prompt_group_id"],
                overall_score=data["overall_score"],
                scores=data.get("scores", {}),
                reasoning=data.get("reasoning", ""),
                judge_model=data["judge_model"],
            )
        except UnknownEvent:
            # Same answer whether the event is missing or another organization's.
            raise serializers.ValidationError(
                {"event_id": ["No usage event with this id in your organization."]}
            ) from None
        return Response(self.get_serializer(run).data, status=status.HTTP_201_CREATED)
