"""The spend chart stacked by model or provider (`stack=`), on the explorer and the
overview: the parts of every bucket add up to the unstacked series."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tokentracker.models import Role
from usage.selectors.series import usage_series
from usage.selectors.stacks import stacked_series
from usage.selectors.usage import UsageScope, UsageTotals

pytestmark = pytest.mark.django_db
WINDOW = {"start_date": "2026-03-20", "end_date": "2026-03-21"}

# Seven models on 2026-03-20 with 1,000 to 7,000 input tokens of gpt-4o's price each
# ($2.50 per Mtok): the five costliest apart, the two cheapest as Other.
MANY_MODELS = [
    {
        "provider": "openai",
        "model": "gpt-4o",
        "occurred_at": f"2026-03-2{n % 2}T0{n}:00:00Z",
        "input_tokens": 1000 * n,
    }
    for n in range(1, 8)
]


def _parts_add_up(stacked, points) -> None:
    assert stacked.buckets == [bucket for bucket, _ in points]
    for index, (_, whole) in enumerate(points):
        parts = UsageTotals.combined(series[index] for _, series in stacked.parts)
        assert (parts.cost, parts.events, parts.total_tokens) == (
            whole.cost,
            whole.events,
            whole.total_tokens,
        )


@pytest.mark.parametrize("dimension", ["model", "provider"])
@pytest.mark.parametrize("granularity", ["hour", "day"])
def test_stacked_parts_add_up_to_the_unstacked_series(org, page_events, dimension, granularity):
    scope = UsageScope(org.id, datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 3, 22, tzinfo=UTC))
    stacked = stacked_series(scope, granularity, dimension)
    _parts_add_up(stacked, usage_series(scope, granularity))
    expected = {
        "model": ["gpt-4o", "claude-sonnet-4-5", "mystery-model"],
        "provider": ["OpenAI", "Anthropic", "Mistral"],
    }[dimension]
    assert [label for label, _ in stacked.parts] == expected


def test_in_a_local_zone_the_stack_has_the_local_days_of_the_unstacked_series(org, record):
    # 04:00Z on 20 March is still the 19th in Los Angeles; 10:00Z is the 20th.
    record(
        {
            "provider": "openai",
            "model": "gpt-4o",
            "occurred_at": "2026-03-20T04:00:00Z",
            "input_tokens": 1000,
        },
        {
            "provider": "openai",
            "model": "gpt-4o",
            "occurred_at": "2026-03-20T10:00:00Z",
            "input_tokens": 2000,
        },
        {
            "provider": "anthropic",
            "model": "claude-sonnet-4-5",
            "occurred_at": "2026-03-20T10:00:00Z",
            "input_tokens": 3000,
        },
    )
    zone = ZoneInfo("America/Los_Angeles")
    scope = UsageScope(
        org.id, datetime(2026, 3, 19, 7, tzinfo=UTC), datetime(2026, 3, 21, 7, tzinfo=UTC)
    )
    stacked = stacked_series(scope, "day", "model", zone=zone)
    points = usage_series(scope, "day", zone)
    _parts_add_up(stacked, points)
    assert stacked.buckets == [
        datetime(2026, 3, 19, tzinfo=zone),
        datetime(2026, 3, 20, tzinfo=zone),
    ]
    by_model = {
        label: [totals.total_tokens for totals in series] for label, series in stacked.parts
    }
    assert by_model == {"gpt-4o": [1000, 2000], "claude-sonnet-4-5": [0, 3000]}
    assert stacked.chart_data("day")["labels"] == ["2026-03-19", "2026-03-20"]


def test_past_five_values_the_cheapest_are_other(org, record):
    record(
        *(
            {**event, "model": f"model-{n}", "total_cost": n / 100}
            for n, event in enumerate(MANY_MODELS, 1)
        )
    )
    scope = UsageScope(org.id, datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 3, 22, tzinfo=UTC))
    stacked = stacked_series(scope, "day", "model")
    assert [label for label, _ in stacked.parts] == [
        "model-7",
        "model-6",
        "model-5",
        "model-4",
        "model-3",
        "Other",
    ]
    other = UsageTotals.combined(stacked.parts[-1][1])
    assert (other.events, str(other.cost.normalize())) == (2, "0.03")
    _parts_add_up(stacked, usage_series(scope, "day"))


def test_the_explorer_stacks_its_chart_and_keeps_the_choice(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", {**WINDOW, "stack": "provider"})
    stacked = response.context["stacked"]
    assert [label for label, _ in stacked.parts] == ["OpenAI", "Anthropic", "Mistral"]
    data = response.context["stacked_chart"]
    assert data["labels"] == ["2026-03-20", "2026-03-21"]
    assert [(d["label"], d["cost"], d["events"]) for d in data["datasets"]] == [
        ("OpenAI", [0.02225, 0.0035], [2, 1]),
        ("Anthropic", [0.006, 0.0], [1, 0]),
        ("Mistral", [0.0, 0.0], [0, 1]),
    ]
    content = response.content.decode()
    assert 'data-stacked-chart="explorer-stacked"' in content
    assert 'data-chart="explorer-series"' not in content
    assert "Show the numbers by provider" in content
    assert '<input type="hidden" name="stack" value="provider">' in content
    assert 'href="?start_date=2026-03-20&amp;end_date=2026-03-21&amp;stack=model"' in content
    # A breakdown row's link narrows and keeps the stacking.
    assert "stack=provider&amp;model=gpt-4o" in content


def test_an_unknown_stack_is_a_message_and_one_series(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", {**WINDOW, "stack": "colour"})
    assert response.context["stacked"] is None
    assert "The chart cannot be stacked by “colour”; it shows one series." in (
        response.context["query"].problems
    )
    assert 'data-chart="explorer-series"' in response.content.decode()


def test_the_overview_stacks_the_months_daily_spend(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/", {"stack": "model"})
    stacked = response.context["stacked"]
    _parts_add_up(stacked, response.context["summary"].daily)
    assert [label for label, _ in stacked.parts] == ["gpt-4o", "claude-sonnet-4-5", "mystery-model"]
    assert 'data-stacked-chart="daily-stacked"' in response.content.decode()
    assert client.get("/o/acme/", {"stack": "x"}).context["problems"] == [
        "The chart cannot be stacked by “x”; it shows one series."
    ]


def test_signed_out_and_outsiders_get_no_stacked_chart(client, sign_in, outsider_org, page_events):
    response = client.get("/o/acme/explorer/", {"stack": "model"})
    assert response.status_code == 302
    sign_in(outsider_org, Role.OWNER)
    assert client.get("/o/acme/", {"stack": "model"}).status_code == 404
