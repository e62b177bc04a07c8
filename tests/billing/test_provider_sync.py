"""Provider sync end to end against the local admin-API server (tests/provider_servers.py):
what is asked, what is stored, and that syncing again replaces rather than adds."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.models import (
    IntegrationStatus,
    ProviderCostBucket,
    ProviderUsageBucket,
    SyncRun,
)
from billing.services.sync import integration_sync, organization_sync
from tests.billing.sync_helpers import integration_make
from tests.provider_servers import (
    ANTHROPIC_COSTS,
    ANTHROPIC_KEY,
    ANTHROPIC_USAGE,
    OPENAI_COSTS,
    OPENAI_KEY,
    OPENAI_USAGE,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 10, 30, tzinfo=UTC)
# The first sync reads 31 days back from today's start, up to the end of today.
FIRST_START = datetime(2026, 10, 30, tzinfo=UTC)
TODAY = datetime(2026, 11, 30, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)


def unix(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def openai_month(server) -> None:
    usage = server.openai.usage
    # Two dated snapshots of gpt-4o in one group: one catalog model, added up.
    usage(
        day="2026-11-02",
        model="gpt-4o-2024-08-06",
        project_id="proj_a",
        api_key_id="key_a",
        input_tokens=1000,
        input_cached_tokens=200,
        output_tokens=300,
        num_model_requests=4,
    )
    usage(
        day="2026-11-02",
        model="gpt-4o-2024-11-20",
        project_id="proj_a",
        api_key_id="key_a",
        input_tokens=500,
        output_tokens=100,
        num_model_requests=1,
    )
    usage(
        day="2026-11-02",
        model="gpt-4o-mini-2024-07-18",
        project_id="proj_b",
        api_key_id="key_b",
        input_tokens=2000,
        input_cached_tokens=1500,
        output_tokens=50,
        num_model_requests=10,
    )
    usage(
        day="2026-11-15",
        model="gpt-4o-2024-08-06",
        project_id="proj_a",
        api_key_id="key_a",
        input_tokens=300,
        output_tokens=30,
        num_model_requests=2,
    )
    # Today so far, and a day before the window (not asked, not stored).
    usage(
        day="2026-11-30T09:00:00Z",
        model="o3-mini",
        project_id="proj_a",
        api_key_id="key_c",
        input_tokens=100,
        input_cached_tokens=40,
        output_tokens=900,
        num_model_requests=1,
    )
    usage(day="2026-10-29", model="gpt-4o", input_tokens=7, output_tokens=7)
    cost = server.openai.cost
    cost(day="2026-11-02", line_item="gpt-4o-2024-08-06, input", project_id="proj_a", value="1.25")
    cost(day="2026-11-02", line_item="gpt-4o-2024-08-06, output", project_id="proj_a", value="0.4")
    cost(
        day="2026-11-02",
        line_item="gpt-4o-mini-2024-07-18, cached input",
        project_id="proj_b",
        value="0.000375",
    )
    cost(day="2026-11-02", line_item="Web search tool calls", project_id="proj_a", value="0.03")
    cost(
        day="2026-11-15", line_item="gpt-4o-2024-08-06, input", project_id="proj_a", value="0.00075"
    )
    cost(day="2026-10-29", line_item="gpt-4o, input", project_id="proj_a", value="9")


def anthropic_month(server) -> None:
    usage = server.anthropic.usage
    usage(
        day="2026-11-03",
        model="claude-sonnet-4-20250514",
        workspace_id="wrkspc_a",
        api_key_id="apikey_a",
        uncached_input_tokens=500,
        cache_read_input_tokens=100,
        ephemeral_5m_input_tokens=40,
        ephemeral_1h_input_tokens=10,
        output_tokens=70,
    )
    # The default workspace is a null workspace_id.
    usage(
        day="2026-11-03",
        model="claude-3-5-haiku-20241022",
        workspace_id=None,
        api_key_id="apikey_b",
        uncached_input_tokens=1000,
        output_tokens=200,
    )
    usage(
        day="2026-11-20",
        model="claude-sonnet-4-20250514",
        workspace_id="wrkspc_a",
        api_key_id="apikey_a",
        uncached_input_tokens=5,
        cache_read_input_tokens=6,
        ephemeral_5m_input_tokens=7,
        ephemeral_1h_input_tokens=8,
        output_tokens=9,
    )
    cost = server.anthropic.cost
    sonnet = "claude-sonnet-4-20250514"
    cost(
        day="2026-11-03",
        description="Claude Sonnet 4 Usage - Input Tokens",
        workspace_id="wrkspc_a",
        model=sonnet,
        cost_type="tokens",
        token_type="uncached_input_tokens",
        amount="123.45",
    )
    cost(
        day="2026-11-03",
        description="Claude Sonnet 4 Usage - Output Tokens",
        workspace_id="wrkspc_a",
        model=sonnet,
        cost_type="tokens",
        token_type="output_tokens",
        amount="105",
    )
    cost(
        day="2026-11-03",
        description="Web Search",
        workspace_id=None,
        cost_type="web_search",
        amount="1000",
    )
    cost(
        day="2026-11-20",
        description="Claude Haiku 3.5 Usage - Input Tokens",
        workspace_id=None,
        model="claude-3-5-haiku-20241022",
        cost_type="tokens",
        token_type="uncached_input_tokens",
        amount="0.08",
    )


def usage_rows(provider: str) -> list[tuple]:
    return list(
        ProviderUsageBucket.objects.filter(provider=provider)
        .order_by("start", "model", "project", "api_key")
        .values_list(
            "start",
            "width",
            "model",
            "project",
            "api_key",
            "input_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "output_tokens",
            "requests",
        )
    )


def cost_rows(provider: str) -> list[tuple]:
    return list(
        ProviderCostBucket.objects.filter(provider=provider)
        .order_by("day", "line_item", "project")
        .values_list(
            "day",
            "line_item",
            "model",
            "project",
            "amount",
            "currency",
            "converted_amount",
            "converted_currency",
        )
    )


OPENAI_USAGE_STORED = [
    (datetime(2026, 11, 2, tzinfo=UTC), "1d", "gpt-4o", "proj_a", "key_a", 1300, 200, 0, 400, 5),
    (
        datetime(2026, 11, 2, tzinfo=UTC),
        "1d",
        "gpt-4o-mini",
        "proj_b",
        "key_b",
        500,
        1500,
        0,
        50,
        10,
    ),
    (datetime(2026, 11, 15, tzinfo=UTC), "1d", "gpt-4o", "proj_a", "key_a", 300, 0, 0, 30, 2),
    (TODAY, "1d", "o3-mini", "proj_a", "key_c", 60, 40, 0, 900, 1),
]


def money(value: str) -> Decimal:
    return Decimal(value)


OPENAI_COSTS_STORED = [
    (
        date(2026, 11, 2),
        "Web search tool calls",
        "",
        "proj_a",
        money("0.03"),
        "USD",
        money("0.03"),
        "USD",
    ),
    (
        date(2026, 11, 2),
        "gpt-4o-2024-08-06, input",
        "gpt-4o",
        "proj_a",
        money("1.25"),
        "USD",
        money("1.25"),
        "USD",
    ),
    (
        date(2026, 11, 2),
        "gpt-4o-2024-08-06, output",
        "gpt-4o",
        "proj_a",
        money("0.4"),
        "USD",
        money("0.4"),
        "USD",
    ),
    (
        date(2026, 11, 2),
        "gpt-4o-mini-2024-07-18, cached input",
        "gpt-4o-mini",
        "proj_b",
        money("0.000375"),
        "USD",
        money("0.000375"),
        "USD",
    ),
    (
        date(2026, 11, 15),
        "gpt-4o-2024-08-06, input",
        "gpt-4o",
        "proj_a",
        money("0.00075"),
        "USD",
        money("0.00075"),
        "USD",
    ),
]


def test_openai_usage_and_costs_are_stored_from_every_page(provider_server, org):
    openai_month(provider_server)
    provider_server.page_size = 5  # 32 daily buckets: seven pages of usage, seven of costs
    integration = integration_make(org, "openai")

    result = integration_sync(integration.pk, trigger="api", now=NOW)

    assert (result.provider, result.status, result.usage_records, result.cost_records) == (
        "openai",
        "ok",
        4,
        5,
    )
    assert result.records == 9
    assert result.message == "Usage and costs synced (complete through 2026-11-29)."
    assert usage_rows("openai") == OPENAI_USAGE_STORED
    assert cost_rows("openai") == OPENAI_COSTS_STORED

    usage_requests = provider_server.to(OPENAI_USAGE)
    assert len(usage_requests) == 7
    first = usage_requests[0]
    assert first.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert first.query == {
        "start_time": [unix(FIRST_START)],
        "end_time": [unix(END)],
        "bucket_width": ["1d"],
        "limit": ["31"],
        "group_by": ["model", "project_id", "api_key_id"],
    }
    pages = [request.one("page") for request in usage_requests]
    assert pages[0] is None and None not in pages[1:] and len(set(pages[1:])) == 6
    cost_requests = provider_server.to(OPENAI_COSTS)
    assert len(cost_requests) == 7
    assert cost_requests[0].query == {
        "start_time": [unix(FIRST_START)],
        "end_time": [unix(END)],
        "bucket_width": ["1d"],
        "limit": ["180"],
        "group_by": ["line_item", "project_id"],
    }
    assert all(r.headers["authorization"] == f"Bearer {OPENAI_KEY}" for r in cost_requests)

    integration.refresh_from_db()
    assert integration.status == IntegrationStatus.OK
    assert integration.status_message == result.message
    assert integration.usage_synced_until == TODAY
    assert integration.costs_synced_until == TODAY
    assert integration.last_sync_at == result.synced_at
    assert integration.last_success_at == result.synced_at
    run = SyncRun.objects.get(integration=integration)
    assert (run.trigger, run.status, run.usage_records, run.cost_records, run.message) == (
        "api",
        "ok",
        4,
        5,
        result.message,
    )
    assert run.started_at == NOW and run.finished_at == result.synced_at


def test_anthropic_usage_and_costs_are_stored_from_every_page(provider_server, org):
    anthropic_month(provider_server)
    provider_server.page_size = 10  # 32 daily buckets: four pages each
    integration = integration_make(org, "anthropic")

    result = integration_sync(integration.pk, trigger="schedule", now=NOW)

    assert (result.status, result.usage_records, result.cost_records) == ("ok", 3, 4)
    assert usage_rows("anthropic") == [
        (
            datetime(2026, 11, 3, tzinfo=UTC),
            "1d",
            "claude-3-5-haiku-latest",
            "",
            "apikey_b",
            1000,
            0,
            0,
            200,
            0,
        ),
        (
            datetime(2026, 11, 3, tzinfo=UTC),
            "1d",
            "claude-sonnet-4-0",
            "wrkspc_a",
            "apikey_a",
            500,
            100,
            50,
            70,
            0,
        ),
        (
            datetime(2026, 11, 20, tzinfo=UTC),
            "1d",
            "claude-sonnet-4-0",
            "wrkspc_a",
            "apikey_a",
            5,
            6,
            15,
            9,
            0,
        ),
    ]
    # Amounts come in cents: "123.45" USD is $1.2345.
    assert cost_rows("anthropic") == [
        (
            date(2026, 11, 3),
            "Claude Sonnet 4 Usage - Input Tokens",
            "claude-sonnet-4-0",
            "wrkspc_a",
            money("1.2345"),
            "USD",
            money("1.2345"),
            "USD",
        ),
        (
            date(2026, 11, 3),
            "Claude Sonnet 4 Usage - Output Tokens",
            "claude-sonnet-4-0",
            "wrkspc_a",
            money("1.05"),
            "USD",
            money("1.05"),
            "USD",
        ),
        (date(2026, 11, 3), "Web Search", "", "", money("10"), "USD", money("10"), "USD"),
        (
            date(2026, 11, 20),
            "Claude Haiku 3.5 Usage - Input Tokens",
            "claude-3-5-haiku-latest",
            "",
            money("0.0008"),
            "USD",
            money("0.0008"),
            "USD",
        ),
    ]
    usage_requests = provider_server.to(ANTHROPIC_USAGE)
    cost_requests = provider_server.to(ANTHROPIC_COSTS)
    assert (len(usage_requests), len(cost_requests)) == (4, 4)
    for request in usage_requests + cost_requests:
        assert request.headers["x-api-key"] == ANTHROPIC_KEY
        assert request.headers["anthropic-version"] == "2023-06-01"
        assert "authorization" not in request.headers
    assert usage_requests[0].query == {
        "starting_at": ["2026-10-30T00:00:00Z"],
        "ending_at": ["2026-12-01T00:00:00Z"],
        "bucket_width": ["1d"],
        "limit": ["31"],
        "group_by[]": ["model", "workspace_id", "api_key_id"],
    }
    assert cost_requests[0].query == {
        "starting_at": ["2026-10-30T00:00:00Z"],
        "ending_at": ["2026-12-01T00:00:00Z"],
        "bucket_width": ["1d"],
        "limit": ["31"],
        "group_by[]": ["workspace_id", "description"],
    }
    assert [request.one("page") is None for request in usage_requests] == [
        True,
        False,
        False,
        False,
    ]
    integration.refresh_from_db()
    assert (integration.usage_synced_until, integration.costs_synced_until) == (TODAY, TODAY)


def stored_state() -> list:
    """Every bucket with its id: an upsert that changed nothing keeps ids and values."""
    usage = ProviderUsageBucket.objects.order_by("pk").values_list(
        "pk",
        "provider",
        "start",
        "model",
        "project",
        "api_key",
        "input_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "output_tokens",
        "requests",
    )
    costs = ProviderCostBucket.objects.order_by("pk").values_list(
        "pk", "provider", "day", "line_item", "model", "project", "amount", "converted_amount"
    )
    return [list(usage), list(costs)]


def test_syncing_the_same_window_twice_changes_nothing(provider_server, org):
    openai_month(provider_server)
    anthropic_month(provider_server)
    integration_make(org, "openai")
    integration_make(org, "anthropic")

    first = organization_sync(org.id, trigger="api", force=True)
    before = stored_state()
    second = organization_sync(org.id, trigger="api", force=True)

    assert stored_state() == before
    assert (ProviderUsageBucket.objects.count(), ProviderCostBucket.objects.count()) == (7, 9)
    assert {name: (r.status, r.records) for name, r in first.items()} == {
        "anthropic": ("ok", 7),
        "openai": ("ok", 9),
    }
    assert {name: (r.status, r.records) for name, r in second.items()} == {
        name: (r.status, r.records) for name, r in first.items()
    }


def test_a_late_correction_replaces_the_earlier_figure(provider_server, org):
    server = provider_server
    server.openai.usage(
        day="2026-11-28", model="gpt-4o", project_id="p", api_key_id="k", input_tokens=100
    )
    server.openai.usage(
        day="2026-11-28", model="gpt-4o-mini", project_id="p", api_key_id="k", input_tokens=50
    )
    server.openai.cost(day="2026-11-28", line_item="gpt-4o, input", project_id="p", value="0.25")
    integration = integration_make(org, "openai")
    integration_sync(integration.pk, trigger="schedule", now=NOW)

    # OpenAI corrects the 28th a day later: more gpt-4o, the mini usage moved away.
    server.openai.clear()
    server.openai.usage(
        day="2026-11-28",
        model="gpt-4o",
        project_id="p",
        api_key_id="k",
        input_tokens=180,
        input_cached_tokens=30,
    )
    server.openai.cost(day="2026-11-28", line_item="gpt-4o, input", project_id="p", value="0.4075")
    later = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    result = integration_sync(integration.pk, trigger="schedule", now=later)

    assert (result.status, result.usage_records, result.cost_records) == ("ok", 1, 1)
    assert usage_rows("openai") == [
        (datetime(2026, 11, 28, tzinfo=UTC), "1d", "gpt-4o", "p", "k", 150, 30, 0, 0, 0)
    ]
    assert cost_rows("openai") == [
        (
            date(2026, 11, 28),
            "gpt-4o, input",
            "gpt-4o",
            "p",
            money("0.4075"),
            "USD",
            money("0.4075"),
            "USD",
        )
    ]
    # The second sync read from the last complete day less the 3-day look-back.
    second = provider_server.to(OPENAI_USAGE)[-1]
    assert second.one("start_time") == unix(datetime(2026, 11, 27, tzinfo=UTC))
    assert second.one("end_time") == unix(datetime(2026, 12, 2, tzinfo=UTC))
    integration.refresh_from_db()
    assert integration.usage_synced_until == datetime(2026, 12, 1, tzinfo=UTC)


def test_an_incremental_sync_starts_at_the_last_complete_day_less_the_look_back(
    provider_server, org, settings
):
    settings.PROVIDER_SYNC_LOOKBACK_DAYS = 2
    integration = integration_make(
        org,
        "anthropic",
        usage_synced_until=datetime(2026, 11, 20, tzinfo=UTC),
        costs_synced_until=None,
    )
    # A bucket before the usage window is left as it is: that window was not read.
    ProviderUsageBucket.objects.create(
        organization=org,
        provider="anthropic",
        start=datetime(2026, 11, 10, tzinfo=UTC),
        width="1d",
        model="claude-sonnet-4-0",
        input_tokens=3,
    )

    result = integration_sync(integration.pk, trigger="schedule", now=NOW)

    assert result.status == "ok"
    assert provider_server.to(ANTHROPIC_USAGE)[0].one("starting_at") == "2026-11-18T00:00:00Z"
    # Costs were never synced: their first window.
    assert provider_server.to(ANTHROPIC_COSTS)[0].one("starting_at") == "2026-10-30T00:00:00Z"
    assert list(ProviderUsageBucket.objects.values_list("input_tokens", flat=True)) == [3]


def test_an_integration_not_synced_for_long_reads_only_the_bounded_window(provider_server, org):
    integration = integration_make(
        org,
        "openai",
        usage_synced_until=datetime(2026, 6, 1, tzinfo=UTC),
        costs_synced_until=datetime(2026, 6, 1, tzinfo=UTC),
    )
    integration_sync(integration.pk, trigger="schedule", now=NOW)
    assert {r.one("start_time") for r in provider_server.requests} == {unix(FIRST_START)}


def test_force_syncs_the_whole_bounded_window_again(provider_server, org, settings):
    settings.PROVIDER_SYNC_FIRST_DAYS = 10
    openai_month(provider_server)
    integration = integration_make(
        org,
        "openai",
        usage_synced_until=datetime(2026, 11, 29, tzinfo=UTC),
        costs_synced_until=datetime(2026, 11, 29, tzinfo=UTC),
    )
    # A stale figure inside the window that the provider no longer reports goes.
    ProviderUsageBucket.objects.create(
        organization=org,
        provider="openai",
        start=datetime(2026, 11, 21, tzinfo=UTC),
        width="1d",
        model="gpt-4o",
        input_tokens=999,
    )

    result = integration_sync(integration.pk, trigger="page", force=True, now=NOW)

    assert (result.status, result.usage_records, result.cost_records) == ("ok", 1, 0)
    start = unix(datetime(2026, 11, 20, tzinfo=UTC))
    assert [r.one("start_time") for r in provider_server.requests] == [start, start]
    assert usage_rows("openai") == [OPENAI_USAGE_STORED[-1]]


def test_organization_sync_syncs_the_named_providers_of_that_organization_only(
    provider_server, org, outsider_org
):
    openai_month(provider_server)
    integration_make(org, "openai")
    integration_make(org, "anthropic")
    integration_make(outsider_org, "openai")

    results = organization_sync(org.id, providers=["openai"], trigger="api")

    assert list(results) == ["openai"]
    assert results["openai"].status == "ok"
    assert set(ProviderUsageBucket.objects.values_list("organization_id", flat=True)) == {org.id}
    assert provider_server.to(ANTHROPIC_USAGE) == []
    # A provider named but not connected is left out.
    assert organization_sync(outsider_org.id, providers=["anthropic"], trigger="api") == {}


def test_an_unknown_trigger_is_refused(org):
    integration = integration_make(org, "openai")
    with pytest.raises(ValueError, match="unknown sync trigger"):
        integration_sync(integration.pk, trigger="cron")
    assert not SyncRun.objects.exists()
