"""GET /api/v1/public/metrics: totals of a window, from the hourly rollups."""

import pytest

from usage.rollups import rollups_merge

from .conftest import ago, record_event

URL = "/api/v1/public/metrics"
pytestmark = pytest.mark.django_db


@pytest.fixture
def traffic(api, org, tw_key):
    # gpt-4o: $2.50 input, $10 output per Mtok; claude-sonnet-4: $3 input, $15 output.
    record_event(
        api,
        tw_key,
        occurred_at=ago(hours=2),
        input_tokens=1000,
        output_tokens=100,
        latency_ms=100,
        success=True,
    )  # $0.0035
    record_event(
        api,
        tw_key,
        occurred_at=ago(days=2),
        input_tokens=2000,
        output_tokens=0,
        latency_ms=301,
        status="error",
    )  # $0.005
    record_event(
        api,
        tw_key,
        occurred_at=ago(days=3),
        provider="anthropic",
        model="claude-sonnet-4-0",
        input_tokens=1000,
        output_tokens=1000,
        latency_ms=200,
    )  # $0.018
    record_event(api, tw_key, occurred_at=ago(days=4), model="no-such-model")  # unpriced
    record_event(
        api,
        tw_key,
        occurred_at=ago(days=10),
        input_tokens=4000,
        output_tokens=0,
        latency_ms=1000,
        success=False,
    )  # $0.01, outside 7d
    rollups_merge()


def test_the_default_window_is_seven_days(api, org, tw_key, traffic):
    response = api.get(URL, tw_key)
    assert response.status_code == 200
    assert response.json() == {
        "totalRequests": 4,
        "totalCost": 0.0265,  # the priced part: the seed demands a number
        "unpricedRequests": 1,
        "avgLatencyMs": 200,  # 601 / 3, rounded; the call without a latency is not averaged
        "errorRate": 0.25,
        "byModel": [
            {"model": "claude-sonnet-4-0", "requests": 1, "cost": 0.018, "unpricedRequests": 0},
            {"model": "gpt-4o", "requests": 2, "cost": 0.0085, "unpricedRequests": 0},
            {"model": "no-such-model", "requests": 1, "cost": 0.0, "unpricedRequests": 1},
        ],
    }


def test_each_range_counts_its_own_window(api, org, tw_key, traffic):
    day = api.get(URL, tw_key, range="24h").json()
    assert (day["totalRequests"], day["totalCost"], day["avgLatencyMs"], day["errorRate"]) == (
        1,
        0.0035,
        100,
        0.0,
    )
    month = api.get(URL, tw_key, range="30d").json()
    assert (month["totalRequests"], month["totalCost"], month["errorRate"]) == (5, 0.0365, 0.4)
    assert month["avgLatencyMs"] == 400  # 1601 / 4
    for wider in ("90d", "180d"):
        assert api.get(URL, tw_key, range=wider).json() == month


def test_an_empty_workspace_has_zero_metrics(api, org, tw_key):
    assert api.get(URL, tw_key).json() == {
        "totalRequests": 0,
        "totalCost": 0.0,
        "unpricedRequests": 0,
        "avgLatencyMs": 0,
        "errorRate": 0.0,
        "byModel": [],
    }


@pytest.mark.parametrize("value", ["1y", "7", "", "7D"])
def test_an_unknown_range_is_a_400(api, org, tw_key, value):
    response = api.get(URL, tw_key, range=value)
    assert response.status_code == 400
    assert response.json()["error"].startswith("range:")


def test_metrics_need_a_key(api, org):
    response = api.get(URL)
    assert response.status_code == 401
    assert list(response.json()) == ["error"]


def test_an_outsider_sees_only_its_own_empty_metrics(api, org, tw_key, outsider_key, traffic):
    assert api.get(URL, outsider_key).json()["totalRequests"] == 0
