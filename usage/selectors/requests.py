"""Reads behind Tokenwise's public API: the request log, its payloads, eval runs.

Callers pass querysets already scoped to the organization by the view's base class, so
these never decide whose rows are read. Aggregates come from `usage.selectors`.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from tokentracker.crypto import DecryptionFailed, json_decrypt
from tokentracker.models import Organization

from ..models import Eval, Outcome, RequestPayload, UsageEvent

logger = logging.getLogger(__name__)

REQUEST_STATUSES = ("success", "error")


@dataclass(frozen=True)
class Workspace:
    """An organization as Tokenwise shows it."""

    uuid: UUID
    payload_storage_enabled: bool


@dataclass(frozen=True)
class DecryptedPayload:
    input: Any
    output: Any


def workspace_get(organization_id: int) -> Workspace:
    row = (
        Organization.objects.filter(pk=organization_id)
        .values("uuid", "payload_storage_enabled")
        .get()
    )
    return Workspace(**row)


def request_status(outcome: str) -> str:
    """Tokenwise knows only success and error: a call nobody reported failing succeeded."""
    return "error" if outcome == Outcome.ERROR else "success"


def requests_filter(
    *,
    organization_id: int,
    model: str | None = None,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[UsageEvent]:
    """The organization's requests, newest first; `start` and `end` are both inclusive."""
    events = UsageEvent.objects.filter(organization_id=organization_id)
    if model:
        events = events.filter(model=model)
    if status == "error":
        events = events.filter(outcome=Outcome.ERROR)
    elif status == "success":
        events = events.exclude(outcome=Outcome.ERROR)
    if start is not None:
        events = events.filter(occurred_at__gte=start)
    if end is not None:
        events = events.filter(occurred_at__lte=end)
    return events.order_by("-occurred_at", "-id")


def _decrypt(ciphertext: str, event_id: UUID) -> Any:
    if not ciphertext:
        return None
    try:
        return json_decrypt(ciphertext)
    except DecryptionFailed:
        # A key removed from FIELD_ENCRYPTION_KEY too early: one unreadable row must not
        # take the whole request log down with it.
        logger.error("payload of event %s does not decrypt with the configured keys", event_id)
        return None


def request_payloads(event_ids: list[UUID]) -> dict[UUID, DecryptedPayload]:
    """Decrypted payloads of these events (ids the caller already scoped), by event id."""
    rows = RequestPayload.objects.filter(event_id__in=event_ids).values_list(
        "event_id", "input_ciphertext", "output_ciphertext"
    )
    return {
        event_id: DecryptedPayload(
            input=_decrypt(input_ciphertext, event_id), output=_decrypt(output_ciphertext, event_id)
        )
        for event_id, input_ciphertext, output_ciphertext in rows
    }


def evals_since(*, organization_id: int, since: datetime, limit: int) -> list[Eval]:
    evals = Eval.objects.filter(organization_id=organization_id, created_at__gte=since)
    return list(evals.order_by("-created_at", "-id")[:limit])


def request_get(*, organization_id: int, event_id: UUID) -> UsageEvent:
    return UsageEvent.objects.get(organization_id=organization_id, uuid=event_id)
