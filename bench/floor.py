"""The floor under HTTP ingest: the events door with only its unavoidable work left.

`bench/ingest.py --path validate-copy` (or `parse-copy`) serves this module's WSGI
application instead of the product's: the same settings, middleware, gunicorn, API-key
authentication and DRF view as `POST /api/v1/events`, whose `create` here does only

- validate-copy: parse and validate the body with the product's own `events_parse`
  (pydantic), then COPY one row per event in one transaction with the product's own
  `usage_events_insert`;
- parse-copy: parse the JSON (pydantic-core's parser, no validation), then the same COPY;
- stage-sql: validate as validate-copy, COPY only the fields the client sent into a
  temporary staging table, and run bench/staging.py's prototype statement, which prices,
  estimates carbon, writes the events and the three folds' deltas in SQL (the staging-table
  design of issue 21, end to end over HTTP; its SQL is a prototype, see bench/staging.py).

No pricing, carbon, rollup, dimension or session fold, quota, idempotency or metrics: every
derived column is copied from one row the real ingest service built for the first event of
the process. What HTTP ingest cannot beat on this stack, measured the way the product is.
Bench code only: nothing in the product imports it.
"""

import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import django
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tokentracker.settings")
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402
from pydantic_core import from_json, to_json  # noqa: E402
from rest_framework import status  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from staging import COUNTERS, SENT, SETUP, WRITE  # noqa: E402

from carbon.carbon_book import carbon_book_get  # noqa: E402
from tokentracker.api.health import LivenessView  # noqa: E402
from tokentracker.api.mytokentracker.events import UsageEventViewSet  # noqa: E402
from usage.ids import uuid7_many  # noqa: E402
from usage.price_book import price_book_get  # noqa: E402
from usage.schemas import EventInput, events_parse  # noqa: E402
from usage.services.events import _event_rows  # noqa: E402
from usage.writers import usage_events_insert  # noqa: E402

PATH = os.environ.get("FLOOR_PATH", "validate-copy")
PATHS = ("validate-copy", "parse-copy", "stage-sql")
if PATH not in PATHS:
    raise SystemExit(f"FLOOR_PATH must be one of {', '.join(PATHS)}, not {PATH!r}")

# The per-event columns a client sends (bench/ingest.py's bodies); every other column comes
# from the template row.
CLIENT_FIELDS = SENT[2:]  # after uuid and occurred_at
_template: dict[str, Any] = {}
_staged_connections: set[int] = set()


def _template_row(organization_id: int, api_key_id: int | None) -> dict[str, Any]:
    if not _template:
        event = EventInput(provider="openai", model="gpt-4o", input_tokens=1000, output_tokens=100)
        rows, _ = _event_rows(
            price_book_get(),
            carbon_book_get(),
            organization_id,
            api_key_id,
            [event],
            received_at=timezone.now(),
        )
        _template.update(rows[0])
    return _template


def _rows(
    template: dict[str, Any], events: list[Any], get: Callable[[Any, str], Any]
) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    rows = []
    for uuid, event in zip(uuid7_many(len(events)), events, strict=True):
        row = dict(template)
        row["uuid"] = uuid
        row["occurred_at"] = row["received_at"] = now
        for name in CLIENT_FIELDS:
            value = get(event, name)
            if value is not None:
                row[name] = value
        rows.append(row)
    return rows


def _stage(organization_id: int, events: list[Any]) -> None:
    """COPY what the client sent into the connection's staging table, then the prototype
    statement (bench/staging.py) writes the events and the deltas."""
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if id(connection.connection) not in _staged_connections:
            raw.execute(SETUP.format(sent=", ".join(SENT)))
            _staged_connections.add(id(connection.connection))
        now = datetime.now(UTC)
        with raw.copy(f"COPY sent ({', '.join(SENT)}) FROM STDIN") as copy:
            for uuid, event in zip(uuid7_many(len(events)), events, strict=True):
                copy.write_row(
                    (
                        uuid,
                        event.occurred_at or now,
                        event.provider,
                        event.model,
                        event.input_tokens,
                        event.output_tokens,
                        event.cache_read_tokens or 0,
                        event.reasoning_tokens or 0,
                        event.latency_ms,
                        event.success,
                        event.platform or "",
                        event.use_case or "",
                        event.project or "",
                        event.session_id or "",
                        to_json(event.metadata).decode() if event.metadata is not None else None,
                    )
                )
        raw.execute(WRITE.format(org=int(organization_id), counters=COUNTERS))


class FloorEvents(UsageEventViewSet):
    def create(self, request: Request) -> Response:
        raw = request.body
        if PATH == "stage-sql":
            events, _ = events_parse(raw)
            with transaction.atomic():
                _stage(self.organization_id, events)
            return Response(
                {"success": True, "created": len(events)}, status=status.HTTP_201_CREATED
            )
        if PATH == "validate-copy":
            events, _ = events_parse(raw)
            get: Callable[[Any, str], Any] = getattr
        else:
            events = from_json(raw)["events"]
            get = dict.get
        rows = _rows(_template_row(self.organization_id, self.api_key_id), events, get)
        with transaction.atomic():
            usage_events_insert(rows)
        return Response({"success": True, "created": len(rows)}, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("api/health/live", LivenessView.as_view()),  # the bench waits on it
    path("api/v1/events", FloorEvents.as_view({"post": "create"})),
]
# This module is the URLconf too: the floor serves these two routes.
settings.ROOT_URLCONF = __name__
application = get_wsgi_application()
