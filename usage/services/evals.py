"""Eval runs: LLM-as-judge scores of an organization's events."""

from uuid import UUID

from tokentracker.errors import DomainError, Kind

from ..models import Eval, UsageEvent

SCORE_MIN = 0.0
SCORE_MAX = 100.0


class UnknownEvent(DomainError):
    """No usage event with this id in the organization (it may exist in another one)."""

    kind = Kind.NOT_FOUND


def eval_record(
    *,
    organization_id: int,
    event_id: UUID | None,
    prompt_group_id: UUID,
    overall_score: float,
    scores: dict[str, float],
    reasoning: str = "",
    judge_model: str,
) -> Eval:
    """Store one scoring run. Raises UnknownEvent if `event_id` is not the organization's."""
    for name, score in {"overall_score": overall_score, **scores}.items():
        if not SCORE_MIN <= score <= SCORE_MAX:
            raise ValueError(f"{name} must be between 0 and 100, got {score}")
    if (
        event_id is not None
        and not UsageEvent.objects.filter(organization_id=organization_id, uuid=event_id).exists()
    ):
        raise UnknownEvent(event_id)
    return Eval.objects.create(
        organization_id=organization_id,
        event_id=event_id,
        prompt_group_id=prompt_group_id,
        overall_score=overall_score,
        scores=scores,
        reasoning=reasoning,
        judge_model=judge_model,
    )
