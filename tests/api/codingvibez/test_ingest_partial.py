"""POST /api/ingest judges a list record by record; /api/tokens/track and /api/ingest keep
the fields the seed does not name, and take whole floats as counts."""

import pytest

from tokentracker.models import DailyEventCount
from usage.models import UsageEvent

from .helpers import data, error

URL = "/api/ingest"
TRACK = "/api/tokens/track"
pytestmark = pytest.mark.django_db


def usage(**fields):
    return {"model": "gpt-4o", "inputTokens": 1_000, "outputTokens": 100, **fields}


def test_the_valid_records_are_written_and_the_invalid_ones_answered(api, org, raw_key):
    body = {
        "type": "tokens",
        "service": "openai",
        "data": [
            usage(id="a"),
            usage(inputTokens=-5),
            usage(cachedTokens=2_000),
            "not a record",
            usage(id="b", cost=0.5),
        ],
    }
    ingested = data(api.post(URL, body, raw_key))
    events = list(UsageEvent.objects.filter(organization=org).order_by("id"))
    assert ingested == {
        "type": "tokens",
        "service": "openai",
        "recorded": 2,
        "duplicates": 0,
        "unpriced": 0,
        # $2.50 x 1,000 + $10 x 100 per Mtok, and the reported 0.5
        "totalCost": 0.5035,
        "ids": [str(event.uuid) for event in events],
        "rejected": 3,
        "errors": [
            {
                "index": 1,
                "field": "data[1].inputTokens",
                "message": "Input should be greater than or equal to 0",
            },
            {
                "index": 2,
                "field": "data[2].cachedTokens",
                "message": "cachedTokens (2000) cannot exceed inputTokens (1000): openai "
                "counts cached tokens inside inputTokens",
            },
            {"index": 3, "field": "data[3]", "message": "Expected a JSON object"},
        ],
    }
    assert [event.client_event_id for event in events] == ["a", "b"]
    assert DailyEventCount.objects.get(organization=org).events == 2


def test_a_list_of_only_invalid_records_is_a_400_naming_each(api, org, raw_key):
    body = {"type": "cost", "service": "cursor", "data": [{"amount": -1}, {}]}
    message = error(api.post(URL, body, raw_key), 400, "VALIDATION_ERROR")
    assert message == (
        "data[0].amount: Input should be greater than or equal to 0; data[1].amount: Field required"
    )
    assert not UsageEvent.objects.exists()


def test_a_bad_service_refuses_every_record(api, org, raw_key):
    body = {"type": "tokens", "service": "s" * 65, "data": [usage(), usage()]}
    assert error(api.post(URL, body, raw_key), 400, "VALIDATION_ERROR").startswith("service: ")
    assert not UsageEvent.objects.exists()


def test_whole_float_counts_are_taken_and_fractions_refused(api, org, raw_key):
    body = {
        "type": "tokens",
        "service": "openai",
        "data": [usage(inputTokens=1000.0, outputTokens=100.0), usage(outputTokens=1.5)],
    }
    ingested = data(api.post(URL, body, raw_key))
    assert (ingested["recorded"], ingested["totalCost"]) == (1, 0.0035)
    assert ingested["errors"] == [
        {
            "index": 1,
            "field": "data[1].outputTokens",
            "message": "Input should be a valid integer, got a number with a fractional part",
        }
    ]


def test_unknown_fields_of_records_and_envelope_are_kept_in_metadata(api, org, raw_key):
    body = {
        "type": "cost",
        "service": "cursor",
        "team": "platform",
        "source": "envelope",
        "data": [{"amount": 20, "seat": "alice", "source": "record", "description": "Pro"}],
    }
    data(api.post(URL, body, raw_key))
    # A record's own field wins over the envelope's of the same name.
    assert UsageEvent.objects.get(organization=org).metadata == {
        "team": "platform",
        "source": "record",
        "seat": "alice",
        "description": "Pro",
    }


def test_track_keeps_unknown_fields_and_takes_whole_floats(api, org, raw_key):
    body = {
        "provider": "openai",
        "model": "gpt-4o",
        "inputTokens": 1000.0,
        "outputTokens": 100.0,
        "sessionId": "s-1",
    }
    tracked = data(api.post(TRACK, body, raw_key))
    assert (tracked["inputTokens"], tracked["cost"]) == (1000, 0.0035)
    assert UsageEvent.objects.get(organization=org).metadata == {"sessionId": "s-1"}


def test_track_refuses_a_fractional_count(api, org, raw_key):
    body = {"provider": "openai", "model": "gpt-4o", "inputTokens": 10.5, "outputTokens": 1}
    message = error(api.post(TRACK, body, raw_key), 400, "VALIDATION_ERROR")
    assert (
        message
        == "inputTokens: Input should be a valid integer, got a number with a fractional part"
    )
    assert not UsageEvent.objects.exists()


def test_an_outsiders_partial_list_lands_in_its_own_organization(
    api, org, outsider_org, outsider_key
):
    body = {"type": "tokens", "service": "openai", "data": [usage(), usage(inputTokens=-1)]}
    assert data(api.post(URL, body, outsider_key))["recorded"] == 1
    assert not UsageEvent.objects.filter(organization=org).exists()
    assert UsageEvent.objects.filter(organization=outsider_org).count() == 1
