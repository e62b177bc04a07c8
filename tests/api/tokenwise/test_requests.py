"""GET /api/v1/public/requests: the workspace's request log, newest first, paginated."""

import pytest

from usage.models import UsageEvent

from .conftest import ago, observe, record_event

URL = "/api/v1/public/requests"
pytestmark = pytest.mark.django_db


def test_the_log_lists_requests_newest_first_in_the_seed_shape(api, org, tw_key):
    record_event(api, tw_key, occurred_at="2026-11-01T10:00:00Z", input_tokens=1000)
    record_event(
        api,
        tw_key,
        occurred_at="2026-11-02T10:00:00Z",
        model="claude-x-unknown",
        provider="anthropic",
        status="error",
        status_code=500,
        error_message="boom",
        metadata={"team": "search"},
    )
    response = api.get(URL, tw_key)
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["page"], body["limit"]) == (2, 1, 50)
    newest, oldest = body["data"]
    unknown = UsageEvent.objects.get(model="claude-x-unknown")
    assert newest == {
        "id": str(unknown.uuid),
        "workspaceId": str(org.uuid),
        "timestamp": "2026-11-02T10:00:00Z",
        "provider": "anthropic",
        "model": "claude-x-unknown",
        "inputTokens": 10,
        "outputTokens": 5,
        "totalTokens": 15,
        "cost": None,
        "latencyMs": None,
        "status": "error",
        "statusCode": 500,
        "errorMessage": "boom",
        "cacheHit": False,
        "metadata": {"team": "search"},
    }
    assert oldest["timestamp"] == "2026-11-01T10:00:00Z"
    assert oldest["cost"] == 0.00255  # 1,000 x $2.50 + 5 x $10 per Mtok
    assert oldest["status"] == "success"


def test_a_call_with_no_reported_outcome_counts_as_a_success(api, org, tw_key):
    record_event(api, tw_key)
    assert api.get(URL, tw_key).json()["data"][0]["status"] == "success"


def test_filters_by_model_status_and_an_inclusive_time_window(api, org, tw_key):
    record_event(api, tw_key, occurred_at="2026-11-01T10:00:00Z")
    record_event(api, tw_key, occurred_at="2026-11-02T10:00:00Z", success=False)
    record_event(api, tw_key, occurred_at="2026-11-03T10:00:00Z", model="gpt-4o-mini")

    def timestamps(**params):
        response = api.get(URL, tw_key, **params)
        assert response.status_code == 200, response.json()
        return [row["timestamp"][:10] for row in response.json()["data"]]

    assert timestamps(model="gpt-4o") == ["2026-11-02", "2026-11-01"]
    assert timestamps(status="error") == ["2026-11-02"]
    assert timestamps(status="success") == ["2026-11-03", "2026-11-01"]
    assert timestamps(**{"from": "2026-11-02T10:00:00Z"}) == ["2026-11-03", "2026-11-02"]
    assert timestamps(to="2026-11-02T10:00:00Z") == ["2026-11-02", "2026-11-01"]
    assert timestamps(**{"from": "2026-11-02T00:00:00Z", "to": "2026-11-02T23:00:00Z"}) == [
        "2026-11-02"
    ]


def test_pages_split_the_log_and_a_page_past_the_end_is_empty(api, org, tw_key):
    for day in range(1, 6):
        record_event(api, tw_key, occurred_at=f"2026-11-0{day}T10:00:00Z")
    first = api.get(URL, tw_key, limit=2).json()
    second = api.get(URL, tw_key, limit=2, page=2).json()
    last = api.get(URL, tw_key, limit=2, page=3).json()
    beyond = api.get(URL, tw_key, limit=2, page=4).json()
    assert [r["timestamp"][:10] for r in first["data"]] == ["2026-11-05", "2026-11-04"]
    assert [r["timestamp"][:10] for r in second["data"]] == ["2026-11-03", "2026-11-02"]
    assert [r["timestamp"][:10] for r in last["data"]] == ["2026-11-01"]
    assert beyond == {"data": [], "total": 5, "page": 4, "limit": 2}
    assert api.get(URL, tw_key, limit=100).json()["limit"] == 100


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"limit": 0}, "limit:"),
        ({"limit": 101}, "limit:"),
        ({"limit": "ten"}, "limit:"),
        ({"page": 0}, "page:"),
        ({"page": "x"}, "page:"),
        ({"status": "timeout"}, "status:"),
        ({"from": "yesterday"}, "from:"),
        ({"to": "2026-13-01T00:00:00Z"}, "to:"),
        ({"from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, "from must not be"),
    ],
)
def test_each_bad_parameter_is_a_400_naming_it(api, org, tw_key, params, fragment):
    response = api.get(URL, tw_key, **params)
    assert response.status_code == 400
    assert list(response.json()) == ["error"]
    assert fragment in response.json()["error"]


def test_the_log_needs_a_key(api, org):
    response = api.get(URL)
    assert response.status_code == 401
    assert response.json() == {"error": "Invalid or missing API token"}


def test_an_outsider_sees_none_of_our_requests(api, org, tw_key, outsider_key):
    observe(api, tw_key)
    assert api.get(URL, tw_key).json()["total"] == 1
    assert api.get(URL, outsider_key).json() == {"data": [], "total": 0, "page": 1, "limit": 50}


def test_a_page_costs_a_fixed_number_of_queries(api, org, tw_key, django_assert_num_queries):
    for day in range(1, 10):
        record_event(api, tw_key, occurred_at=f"2026-11-0{day}T10:00:00Z")
    api.get(URL, tw_key)  # warms the cached key and plan lookups
    # The page, its count, the workspace.
    with django_assert_num_queries(3):
        assert len(api.get(URL, tw_key).json()["data"]) == 9


def test_requests_observed_now_are_listed(api, org, tw_key):
    observe(api, tw_key)
    record_event(api, tw_key, occurred_at=ago(days=1))
    data = api.get(URL, tw_key).json()["data"]
    assert [row["latencyMs"] for row in data] == [420, None]


def _listed(api, key):
    response = api.get(URL, key)
    assert response.status_code == 200
    return {row["errorMessage"]: row for row in response.json()["data"]}


def _counts(row):
    return (row["inputTokens"], row["outputTokens"], row["totalTokens"], row["cost"])


def test_an_error_observed_without_token_counts_lists_them_as_null(api, org, tw_key):
    # The Tokenwise SDK sends no usage for a call the provider refused.
    unset = {"inputTokens": None, "outputTokens": None}
    observe(api, tw_key, status="error", statusCode=429, errorMessage="refused", **unset)
    # Sent as 0 by the client: a count, and listed as one.
    observe(
        api,
        tw_key,
        status="error",
        statusCode=500,
        errorMessage="zero",
        inputTokens=0,
        outputTokens=0,
    )
    # Input sent, output left out: the client said something, a missing count is 0.
    observe(
        api,
        tw_key,
        status="error",
        statusCode=504,
        errorMessage="timed out",
        inputTokens=2_000,
        outputTokens=None,
    )
    listed = _listed(api, tw_key)
    assert _counts(listed["refused"]) == (None, None, None, None)
    assert _counts(listed["zero"]) == (0, 0, 0, 0.0)
    assert _counts(listed["timed out"]) == (2_000, 0, 2_000, 0.005)  # 2,000 x $2.50/Mtok


def test_a_cache_count_alone_is_a_reported_count(api, org, tw_key):
    observe(
        api,
        tw_key,
        provider="anthropic",
        model="claude-sonnet-4-20250514",
        status="error",
        errorMessage="cache only",
        inputTokens=None,
        outputTokens=None,
        cachedInputTokens=10_000,
    )
    # 10,000 cache reads at $0.30/Mtok; inputTokens is the whole prompt, cache reads included.
    assert _counts(_listed(api, tw_key)["cache only"]) == (10_000, 0, 10_000, 0.003)


def test_events_from_other_doors_keep_their_counts(api, org, tw_key):
    record_event(api, tw_key, status="error", error_message="native", input_tokens=0)
    assert _counts(_listed(api, tw_key)["native"]) == (0, 5, 5, 0.00005)


def test_an_outsider_does_not_see_our_unknown_counts(api, org, tw_key, outsider_key):
    unset = {"inputTokens": None, "outputTokens": None}
    observe(api, tw_key, status="error", errorMessage="refused", **unset)
    assert _listed(api, outsider_key) == {}
    assert api.get(URL).status_code == 401
