"""Tokenwise's observe: one event through the ingest service, and its payloads beside it
when the organization stores them (encrypted, committed together)."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction

from tokentracker.crypto import json_encrypt
from tokentracker.models import Organization

from ..models import RequestPayload
from ..schemas import EventInput
from .events import events_record


@dataclass(frozen=True)
class Observation:
    event_id: UUID
    payload_stored: bool


def observation_record(
    *,
    organization_id: int,
    api_key_id: int | None,
    event: EventInput,
    input_payload: Any = None,
    output_payload: Any = None,
    door: str = "",
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
            organization_id=organization_id, api_key_id=api_key_id, events=[event], door=door
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
