"""events_record judges events one by one: InvalidEvent and normalisation errors are
answered by index, the valid events written; nothing valid raises and writes nothing."""

import pytest

from tokentracker.models import DailyEventCount
from usage.models import IngestReceipt, UsageEvent
from usage.schemas import EventInput, EventsInvalid, FieldError, InvalidEvent
from usage.services.events import events_record

pytestmark = pytest.mark.django_db


def good(**fields):
    return EventInput(provider="openai", model="gpt-4o", input_tokens=10, output_tokens=5, **fields)


def test_invalid_events_are_answered_by_index_and_the_rest_written(org):
    schema_error = InvalidEvent((FieldError(field="model", message="required"),))
    result = events_record(
        organization_id=org.id,
        api_key_id=None,
        events=[good(), schema_error, good(cache_read_tokens=11)],
        idempotency_key="k-1",
        body_digest="d",
    )
    assert (result.created, result.rejected) == (1, 2)
    assert [(e.index, e.field) for e in result.errors] == [
        (1, "model"),
        (2, "cache_read_tokens"),
    ]
    assert UsageEvent.objects.filter(organization=org).count() == 1
    assert DailyEventCount.objects.get(organization=org).events == 1
    stored = IngestReceipt.objects.get(organization=org, key="k-1").response
    assert (stored["rejected"], [e["index"] for e in stored["errors"]]) == (2, [1, 2])


def test_nothing_valid_raises_and_changes_nothing(org):
    with pytest.raises(EventsInvalid) as exc:
        events_record(
            organization_id=org.id,
            api_key_id=None,
            events=[good(reasoning_tokens=6)],
            idempotency_key="k-2",
            body_digest="d",
        )
    assert [(e.index, e.field) for e in exc.value.errors] == [(0, "reasoning_tokens")]
    assert not UsageEvent.objects.exists()
    assert not IngestReceipt.objects.exists()
    assert not DailyEventCount.objects.exists()


def test_a_receipt_from_before_rejections_replays_with_none(org):
    IngestReceipt.objects.create(
        organization=org,
        key="old",
        request_digest="d",
        response={"success": True, "created": 1, "total_cost": 0.1, "duplicates": 0, "unpriced": 0},
    )
    result = events_record(
        organization_id=org.id,
        api_key_id=None,
        events=[good()],
        idempotency_key="old",
        body_digest="d",
    )
    assert (result.replayed, result.created, result.rejected, result.errors) == (True, 1, 0, ())
