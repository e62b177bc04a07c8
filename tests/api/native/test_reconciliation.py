"""`GET /api/v1/reconciliation`: each synced provider's bill against our events, per day and
model, on the known month of tests/billing/reconciliation_data.py; scoped to the caller's
organization; parameters checked."""

import pytest

from tests.billing.reconciliation_data import NOW, march_reconciled

pytestmark = pytest.mark.django_db

URL = "/api/v1/reconciliation"
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def month(org, outsider_org, record, freeze):
    freeze(NOW)
    march_reconciled(org, outsider_org, record)


def _ok(api, key, **params):
    response = api.get(URL, key, **params)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_month_per_provider_day_and_model(api, raw_key, month):
    body = _ok(api, raw_key, **MARCH)
    assert (body["start"], body["end"], body["currency"]) == ("2026-03-01", "2026-03-31", "USD")
    assert body["totals"] == {
        "billed": 9.5,
        "tracked": 6.0,
        "untracked": 4.0,
        "over_reported": 0.5,
    }
    anthropic, openai = body["providers"]
    assert (anthropic["provider"], openai["provider"]) == ("anthropic", "openai")
    summary = {key: openai[key] for key in openai if key not in {"days", "models"}}
    assert summary == {
        "provider": "openai",
        "status": "ok",
        "last_sync_at": "2026-03-20T11:50:00Z",
        "last_success_at": "2026-03-20T11:50:00Z",
        "costs_synced_until": "2026-03-05T00:00:00Z",
        "billed": 8.25,
        "tracked": 5.0,
        "untracked": 3.75,
        "over_reported": 0.5,
        "unconverted": {},
        "unpriced_events": 1,
        "synced_days": 4,
        "not_synced_days": 16,
        "reported_tokens": {
            "input_tokens": 6200,
            "cache_read_tokens": 200,
            "cache_write_tokens": 0,
            "output_tokens": 640,
            "total_tokens": 7040,
            "requests": 6,
        },
        "tracked_tokens": {
            "input_tokens": 4500,
            "cache_read_tokens": 200,
            "cache_write_tokens": 0,
            "output_tokens": 440,
            "total_tokens": 5140,
            "requests": 5,
        },
    }
    assert len(openai["days"]) == 20  # 1 to 20 March: up to today
    assert openai["days"][2:5] == [
        {
            "day": "2026-03-03",
            "synced": True,
            "billed": 1.5,
            "tracked": 2.0,
            "untracked": 0.0,
            "over_reported": 0.5,
            "unconverted": {},
            "unpriced_events": 1,
        },
        {
            "day": "2026-03-04",
            "synced": True,
            "billed": 4.25,
            "tracked": 1.0,
            "untracked": 3.25,
            "over_reported": 0.0,
            "unconverted": {},
            "unpriced_events": 0,
        },
        {
            "day": "2026-03-05",
            "synced": False,
            "billed": None,
            "tracked": 3.0,
            "untracked": None,
            "over_reported": None,
            "unconverted": {},
            "unpriced_events": 0,
        },
    ]
    assert [
        (m["model"], m["billed"], m["tracked"], m["untracked"], m["over_reported"])
        for m in openai["models"]
    ] == [
        ("gpt-4o", 7.2, 4.5, 2.7, 0.0),
        (None, 0.55, None, None, None),
        ("gpt-4o-mini", 0.5, 0.5, 0.0, 0.0),
        ("mystery", None, None, None, None),
    ]
    assert (anthropic["billed"], anthropic["untracked"], anthropic["synced_days"]) == (
        1.25,
        0.25,
        2,
    )


def test_one_provider_and_the_default_period(api, raw_key, month):
    body = _ok(api, raw_key, provider="anthropic")
    assert (body["start"], body["end"]) == ("2026-03-01", "2026-03-31")  # this month
    assert [provider["provider"] for provider in body["providers"]] == ["anthropic"]
    assert body["totals"]["billed"] == 1.25
    february = _ok(api, raw_key, start="2026-02-01", end="2026-02-28", provider="openai")
    (openai,) = february["providers"]
    assert (openai["billed"], openai["tracked"], openai["untracked"]) == (0.4, 0.1, 0.3)
    # 27 February is its first billed day: the days before it are not synced.
    assert (openai["synced_days"], openai["not_synced_days"]) == (2, 26)


def test_an_outsider_sees_only_its_own(api, outsider_key, month):
    body = _ok(api, outsider_key, **MARCH)
    assert [provider["provider"] for provider in body["providers"]] == ["openai"]
    assert body["totals"] == {
        "billed": 500.0,
        "tracked": 100.0,
        "untracked": 400.0,
        "over_reported": 0.0,
    }


def test_an_organization_without_integrations_gets_an_empty_list(api, raw_key, freeze):
    freeze(NOW)
    body = _ok(api, raw_key)
    assert body["providers"] == []
    assert body["totals"] == {"billed": 0.0, "tracked": 0.0, "untracked": 0.0, "over_reported": 0.0}


def test_no_key_is_a_401(api, month):
    response = api.get(URL, **MARCH)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "March"}, "start"),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "end"),
        ({"start": "2025-01-01", "end": "2026-03-01"}, "end"),
        ({"provider": "google"}, "provider"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(api, raw_key, month, params, field):
    response = api.get(URL, raw_key, **params)
    # The native API's validation status, as on every /api/v1 endpoint.
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert list(error["details"]) == [field]


def test_the_schema_describes_it(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    get = schema["paths"]["/api/v1/reconciliation"]["get"]
    assert get["operationId"] == "reconciliation"
    assert {parameter["name"] for parameter in get["parameters"]} == {"start", "end", "provider"}
    assert set(get["responses"]) == {"200", "401", "422"}
    assert "providers" in schema["components"]["schemas"]["Reconciliation"]["properties"]
