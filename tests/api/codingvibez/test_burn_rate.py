"""GET /api/tokens/burn-rate: spend per hour and per day over the last hours."""

import pytest

from .helpers import data, error

URL = "/api/tokens/burn-rate"
pytestmark = pytest.mark.django_db


@pytest.fixture
def recent(org, outsider_org, record, freeze):
    freeze("2026-01-05T12:30:00Z")
    record(
        {"occurred_at": "2026-01-05T12:10:00Z", "input_tokens": 1200, "total_cost": 1.2},
        {
            "occurred_at": "2026-01-05T11:30:00Z",
            "provider": "anthropic",
            "model": "claude-sonnet-4-0",
            "input_tokens": 2400,
            "total_cost": 2.4,
        },
        # Before the 24 whole hours that end with the current one.
        {"occurred_at": "2026-01-04T12:59:00Z", "input_tokens": 9, "total_cost": 100},
        organization=org,
    )
    record(
        {"occurred_at": "2026-01-05T12:00:00Z", "input_tokens": 5, "total_cost": 50},
        organization=outsider_org,
    )


def test_the_last_24_hours_per_hour_per_day_and_per_service(api, raw_key, recent):
    burn = data(api.get(URL, raw_key))
    assert burn["burnRate"] == {
        "tokensPerHour": 150.0,
        "costPerHour": 0.15,
        "tokensPerDay": 3600.0,
        "costPerDay": 3.6,
        "unpricedRequests": 0,
    }
    assert list(burn["byService"]) == ["anthropic", "openai"]  # costliest first
    assert burn["byService"]["openai"] == {
        "tokensPerHour": 50.0,
        "costPerHour": 0.05,
        "tokensPerDay": 1200.0,
        "costPerDay": 1.2,
        "unpricedRequests": 0,
        "totalTokens": 1200,
        "totalCost": 1.2,
        "requests": 1,
    }
    assert burn["window"] == {
        "hours": 24,
        "start": "2026-01-04T13:00:00Z",
        "end": "2026-01-05T13:00:00Z",
    }
    assert burn["dataFreshness"] == "stale"  # the latest event is 20 minutes old


def test_one_hour_is_the_current_hour(api, raw_key, recent):
    burn = data(api.get(URL, raw_key, hours=1))
    assert burn["burnRate"]["tokensPerHour"] == 1200.0
    assert burn["burnRate"]["costPerDay"] == 28.8
    assert list(burn["byService"]) == ["openai"]


def test_a_service_narrows_to_that_provider_whatever_its_spelling(api, raw_key, recent):
    burn = data(api.get(URL, raw_key, service="OpenAI", hours=2))
    assert list(burn["byService"]) == ["openai"]
    assert burn["burnRate"]["costPerHour"] == 0.6


def test_an_unknown_service_burns_nothing(api, raw_key, recent):
    burn = data(api.get(URL, raw_key, service="nobody"))
    assert burn["byService"] == {}
    assert burn["burnRate"]["costPerDay"] == 0.0


def test_another_organizations_key_sees_only_its_own(api, outsider_key, recent):
    burn = data(api.get(URL, outsider_key, hours=1))
    assert burn["byService"]["openai"]["totalCost"] == 50.0
    assert list(burn["byService"]) == ["openai"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"hours": "0"}, "hours: "),
        ({"hours": "721"}, "hours: "),
        ({"hours": "1.5"}, "hours: "),
        ({"hours": "-3"}, "hours: "),
        ({"hours": "a day"}, "hours: "),
        ({"service": "x" * 65}, "service: "),
    ],
)
def test_bad_parameters_are_a_400_naming_them(api, raw_key, query, named):
    assert error(api.get(URL, raw_key, **query), 400, "VALIDATION_ERROR").startswith(named)
