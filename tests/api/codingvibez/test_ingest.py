"""POST /api/ingest: integration records of token usage or plain spend, all or nothing."""

from decimal import Decimal

import pytest

from usage.models import CostSource, UsageEvent

from .helpers import at, data, error

URL = "/api/ingest"
pytestmark = pytest.mark.django_db


def usage(**fields):
    return {"model": "gpt-4o", "inputTokens": 1_000, "outputTokens": 100, **fields}


def test_a_list_of_token_records_is_priced_and_labelled(api, org, raw_key):
    body = {
        "type": "tokens",
        "service": "OpenAI",
        "project": "support-bot",
        "product": "api",
        "data": [
            # $2.50 x 1,000 + $10 x 100 per Mtok = $0.0035
            usage(timestamp="2026-01-15T10:30:00Z", id="r1"),
            # 800 cached inside the 1,000: 200 x 2.50 + 800 x 1.25 + 100 x 10 = $0.0025
            usage(cachedTokens=800, timestamp="2026-01-15T11:00:00+01:00"),
            usage(cost=0.5),
        ],
    }
    ingested = data(api.post(URL, body, raw_key))
    events = list(UsageEvent.objects.filter(organization=org).order_by("id"))
    assert ingested == {
        "type": "tokens",
        "service": "openai",
        "recorded": 3,
        "duplicates": 0,
        "unpriced": 0,
        "totalCost": 0.506,
        "ids": [str(event.uuid) for event in events],
        "rejected": 0,
        "errors": [],
    }
    assert [e.total_cost for e in events] == [Decimal("0.0035"), Decimal("0.0025"), Decimal("0.5")]
    assert [e.cost_source for e in events] == ["catalog", "catalog", "reported"]
    assert [e.occurred_at for e in events[:2]] == [
        at("2026-01-15T10:30:00Z"),
        at("2026-01-15T10:00:00Z"),
    ]
    assert {(e.provider, e.project, e.platform, e.use_case) for e in events} == {
        ("openai", "support-bot", "api", "")
    }
    assert events[0].client_event_id == "r1"


def test_a_single_token_record_needs_no_list(api, org, raw_key):
    body = {"type": "tokens", "service": "anthropic", "data": usage(model="claude-sonnet-4-0")}
    ingested = data(api.post(URL, body, raw_key))
    # $3 x 1,000 + $15 x 100 per Mtok
    assert (ingested["recorded"], ingested["totalCost"]) == (1, 0.0045)


def test_a_record_sent_twice_with_its_id_counts_once(api, org, raw_key):
    body = {"type": "tokens", "service": "openai", "data": [usage(id="call-7")]}
    data(api.post(URL, body, raw_key))
    again = data(api.post(URL, body, raw_key))
    assert (again["recorded"], again["duplicates"], again["ids"]) == (0, 1, [])
    assert UsageEvent.objects.count() == 1


def test_an_unknown_model_is_counted_as_unpriced(api, org, raw_key):
    body = {"type": "tokens", "service": "openai", "data": [usage(model="mystery"), usage()]}
    ingested = data(api.post(URL, body, raw_key))
    assert (ingested["unpriced"], ingested["totalCost"]) == (1, 0.0035)


def test_a_cost_record_is_an_event_with_the_amount_and_no_tokens(api, org, raw_key):
    body = {
        "type": "cost",
        "service": "cursor",
        "product": "pro",
        "data": {"amount": 20, "timestamp": "2026-01-01", "description": "Pro seat"},
    }
    ingested = data(api.post(URL, body, raw_key))
    assert (ingested["type"], ingested["recorded"], ingested["totalCost"]) == ("cost", 1, 20.0)
    event = UsageEvent.objects.get(organization=org)
    assert (event.provider, event.model, event.platform) == ("cursor", "unspecified", "pro")
    assert (event.total_cost, event.cost_source) == (Decimal(20), CostSource.REPORTED)
    assert (event.input_tokens, event.output_tokens, event.total_tokens) == (0, 0, 0)
    assert event.occurred_at == at("2026-01-01T00:00:00Z")
    assert event.metadata == {"description": "Pro seat"}


def test_cost_records_keep_their_model_and_exact_cents(api, org, raw_key):
    body = {
        "type": "cost",
        "service": "openai",
        "data": [{"amount": 0.1, "model": "gpt-4o"}, {"amount": 0.2, "model": "gpt-4o"}],
    }
    ingested = data(api.post(URL, body, raw_key))
    assert ingested["totalCost"] == 0.3
    assert {e.model for e in UsageEvent.objects.all()} == {"gpt-4o"}


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"service": "openai", "data": usage()}, "type: "),
        ({"type": "bytes", "service": "openai", "data": usage()}, "type: "),
        ({"type": "tokens", "data": usage()}, "service: "),
        ({"type": "tokens", "service": "", "data": usage()}, "service: "),
        ({"type": "tokens", "service": "openai"}, "data: "),
        ({"type": "tokens", "service": "openai", "data": []}, "data: "),
        ({"type": "tokens", "service": "openai", "data": "lots"}, "data: "),
        ({"type": "tokens", "service": "openai", "data": {"model": "gpt-4o"}}, "data.inputTokens"),
        (
            {
                "type": "tokens",
                "service": "openai",
                "data": [usage(inputTokens=-5), usage(model="")],
            },
            "data[0].inputTokens: ",
        ),
        (
            {
                "type": "tokens",
                "service": "openai",
                "data": [usage(cachedTokens=2_000), usage(model="")],
            },
            "data[0].cachedTokens: ",
        ),
        (
            {"type": "tokens", "service": "openai", "data": [usage(timestamp="yesterday")]},
            "data[0].timestamp: ",
        ),
        (
            {
                "type": "tokens",
                "service": "openai",
                "data": [usage(timestamp="2999-01-01"), usage(model="")],
            },
            "data[0].timestamp: ",
        ),
        ({"type": "tokens", "service": "openai", "data": usage(model="")}, "data.model: "),
        ({"type": "tokens", "service": "openai", "data": usage(cost=-1)}, "data.cost: "),
        ({"type": "cost", "service": "cursor", "data": {"amount": -1}}, "data.amount: "),
        (
            {"type": "cost", "service": "cursor", "data": {"amount": 999_999_999_999}},
            "data.amount: ",
        ),
        (
            {"type": "tokens", "service": "openai", "data": [usage(cost=10_000_001)]},
            "data[0].cost: ",
        ),
        (
            {"type": "tokens", "service": "openai", "data": usage(outputTokens=10**9 + 1)},
            "data.outputTokens: ",
        ),
        ({"type": "cost", "service": "cursor", "data": {}}, "data.amount: "),
        (
            {"type": "cost", "service": "cursor", "project": "p" * 201, "data": {"amount": 1}},
            "project: ",
        ),
        (
            {"type": "cost", "service": "cursor", "product": "p" * 101, "data": {"amount": 1}},
            "product: ",
        ),
    ],
)
def test_a_bad_body_is_a_400_naming_the_field_and_writes_nothing(api, org, raw_key, body, named):
    message = error(api.post(URL, body, raw_key), 400, "VALIDATION_ERROR")
    assert message.startswith(named), message
    assert not UsageEvent.objects.exists()


def test_more_than_500_records_are_refused(api, org, raw_key):
    body = {"type": "tokens", "service": "openai", "data": [usage()] * 501}
    assert error(api.post(URL, body, raw_key), 400, "VALIDATION_ERROR").startswith("data: ")
    assert not UsageEvent.objects.exists()


def test_ingest_needs_a_key(api):
    error(
        api.post(URL, {"type": "cost", "service": "x", "data": {"amount": 1}}),
        401,
        "AUTHENTICATION_ERROR",
    )


def test_a_viewer_member_cannot_ingest(viewer_client):
    body = {"type": "cost", "service": "x", "data": {"amount": 1}}
    response = viewer_client.post(URL, body, content_type="application/json")
    error(response, 403, "AUTHORIZATION_ERROR")
    assert not UsageEvent.objects.exists()


def test_a_signed_in_member_ingests_into_their_organization(member_client, org):
    body = {"type": "cost", "service": "x", "data": {"amount": 1}}
    data(member_client.post(URL, body, content_type="application/json"))
    assert UsageEvent.objects.get().organization_id == org.id
