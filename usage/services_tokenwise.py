"""Writes behind Tokenwise's ingest (`POST /api/v1/observe`) and the eval results API.

Kept out of `usage/services.py` so `events_record` stays the one ingest service with one
owner: observation only adds the encrypted payload next to the event it records.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction

from tokentracker.crypto import json_encrypt
from tokentracker.models import Organization

from .models import Eval, RequestPayload, UsageEvent
from .schemas import EventInput
from .services import events_record

SCORE_MIN = 0.0
SCORE_MAX = 100.0


@dataclass(frozen=True)
class Observation:
    event_id: UUID
    payload_stored: bool


class UnknownEvent(Exception):
    """No usage event with this id in the organization (it may exist in another one)."""


def observation_record(
    *,
    organization_id: int,
    api_key_id: int | None,
    event: EventInput,
    input_payload: Any = None,
    output_payload: Any = None,
) -> Observation:
    """Record one observed call, and its payloads if the organization stores them.

    The event and its payload commit together: a payload never outlives a rolled-back
    event, and an event is never kept while the payload the customer asked us to keep is
    lost. With payload storage off the bodies are dropped here, before anything is written.
    """
    store_payloads = (
        Organization.objects.filter(pk=organization_id)
        .values_list("payload_storage_enabled", flat=True)
        .get()
    )
    has_payload = input_payload is not None or output_payload is not None
    with transaction.atomic():
        result = events_record(
            organization_id=organization_id, api_key_id=api_key_id, events=[event]
        )
        # Observe sends no client event id, so the event is never skipped as a duplicate.
        (event_id,) = result.event_ids
        stored = store_payloads and has_payload
        if stored:
            RequestPayload.objects.create(
                event_id=event_id,
                input_ciphertext=json_encrypt(input_payload) if input_payload is not None else "",
                output_ciphertext=(
                    json_encrypt(output_payload) if output_payload is not None else ""
                ),
            )
    return Observation(event_id=event_id, payload_stored=stored)


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
