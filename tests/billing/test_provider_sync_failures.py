"""Provider sync when providers fail: rate limits and server errors retried with backoff,
a refused key stopping at once, timeouts bounded, a partial failure keeping what was
synced, the key in no log or message, two syncs never at once, and one organization's
failure holding back no other's."""

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from billing.models import (
    IntegrationStatus,
    ProviderCostBucket,
    ProviderIntegration,
    ProviderUsageBucket,
    SyncRun,
)
from billing.selectors.sync import integrations_due_for_sync
from billing.services.sync import integration_sync
from billing.sync import openai_admin
from billing.tasks import integration_sync_queue, integration_sync_task, integrations_sync_all
from tests.billing.sync_helpers import integration_make
from tests.money import committed
from tests.provider_servers import (
    ANTHROPIC_COSTS,
    ANTHROPIC_KEY,
    ANTHROPIC_USAGE,
    OPENAI_COSTS,
    OPENAI_KEY,
    OPENAI_USAGE,
    Answer,
)
from tokentracker.crypto import field_encrypt

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 10, 30, tzinfo=UTC)
TODAY = datetime(2026, 11, 30, tzinfo=UTC)


def one_day_of_usage(server) -> None:
    server.openai.usage(
        day="2026-11-20", model="gpt-4o", project_id="p", api_key_id="k", input_tokens=10
    )
    server.openai.cost(day="2026-11-20", line_item="gpt-4o, input", project_id="p", value="0.5")
    server.anthropic.usage(
        day="2026-11-20", model="claude-sonnet-4-20250514", uncached_input_tokens=20
    )
    server.anthropic.cost(day="2026-11-20", description="Claude Sonnet 4 Usage", amount="50")


def test_a_429_is_retried_after_the_providers_retry_after(provider_server, org):
    one_day_of_usage(provider_server)
    provider_server.script(OPENAI_USAGE, Answer(status=429, retry_after="7"))
    integration = integration_make(org, "openai")

    result = integration_sync(integration.pk, trigger="api", now=NOW)

    assert (result.status, result.usage_records, result.cost_records) == ("ok", 1, 1)
    assert provider_server.sleeps == [7.0]
    # The first page twice (refused, then answered), the second page once.
    assert [r.one("page") is None for r in provider_server.to(OPENAI_USAGE)] == [
        True,
        True,
        False,
    ]


def test_a_retry_after_date_is_honoured_as_the_seconds_until_it(provider_server, org):
    one_day_of_usage(provider_server)
    # An HTTP date 30 s ahead of the real clock (the sync's own `now` is not the clock),
    # whole seconds as HTTP dates have them.
    moment = (datetime.now(UTC) + timedelta(seconds=30)).replace(microsecond=0)
    provider_server.script(
        ANTHROPIC_COSTS,
        Answer(status=429, retry_after=moment.strftime("%a, %d %b %Y %H:%M:%S GMT")),
    )
    integration = integration_make(org, "anthropic")

    before = datetime.now(UTC)
    result = integration_sync(integration.pk, trigger="api", now=NOW)
    after = datetime.now(UTC)

    assert result.status == "ok"
    [waited] = provider_server.sleeps
    # The seconds from the moment the answer was read to the date: however slow the machine.
    assert (moment - after).total_seconds() <= waited <= (moment - before).total_seconds()


def test_a_server_error_is_retried_with_exponential_backoff(provider_server, org, settings):
    settings.PROVIDER_SYNC_BACKOFF_SECONDS = 1
    one_day_of_usage(provider_server)
    provider_server.script(
        ANTHROPIC_USAGE, Answer(status=500), Answer(status=503), Answer(status=502)
    )
    integration = integration_make(org, "anthropic")

    result = integration_sync(integration.pk, trigger="schedule", now=NOW)

    assert (result.status, result.usage_records, result.cost_records) == ("ok", 1, 1)
    # 1, 2 and 4 seconds, each plus up to as much again of jitter.
    first, second, third = provider_server.sleeps
    assert 1 <= first < 2 and 2 <= second < 4 and 4 <= third < 8
    assert ProviderUsageBucket.objects.get().input_tokens == 20


def test_retries_stop_at_the_total_wait_cap(provider_server, org, settings):
    settings.PROVIDER_SYNC_MAX_WAIT_SECONDS = 60
    provider_server.fail_always(OPENAI_USAGE, Answer(status=429, retry_after="45"))
    integration = integration_make(org, "openai")

    result = integration_sync(integration.pk, trigger="schedule", now=NOW)

    # One wait of 45 s; a second would pass the 60 s cap, so the usage is given up.
    assert provider_server.sleeps == [45.0]
    assert len(provider_server.to(OPENAI_USAGE)) == 2
    assert result.status == "partial"
    assert result.message == (
        "Costs synced (complete through 2026-11-29); usage not synced: OpenAI is rate "
        "limiting requests (HTTP 429); gave up rather than wait 45 s more. The next sync "
        "tries again."
    )


@pytest.mark.parametrize(
    ("provider", "path", "status"),
    [
        ("openai", OPENAI_USAGE, 401),
        ("anthropic", ANTHROPIC_USAGE, 403),
    ],
)
def test_a_refused_key_marks_the_integration_invalid_and_is_not_retried(
    provider_server, org, provider, path, status
):
    one_day_of_usage(provider_server)
    provider_server.script(path, Answer(status=status))
    integration = integration_make(org, provider)

    result = integration_sync(integration.pk, trigger="api", now=NOW)

    name = {"openai": "OpenAI", "anthropic": "Anthropic"}[provider]
    message = (
        f"{name} refused the admin key (HTTP {status}): it may have been revoked, or is not "
        "an admin key of the organization. Add a new one."
    )
    assert (result.status, result.records, result.message) == ("invalid_key", 0, message)
    # One request: no retry, and the costs are not even asked.
    assert [r.path for r in provider_server.requests] == [path]
    assert provider_server.sleeps == []
    integration.refresh_from_db()
    assert (integration.status, integration.status_message) == ("invalid_key", message)
    assert integration.usage_synced_until is None and integration.last_success_at is None
    assert SyncRun.objects.get().status == "invalid_key"
    # The hourly schedule skips it until a new key is added.
    assert integrations_due_for_sync() == []


def test_a_wrong_key_is_refused_by_the_server_itself(provider_server, org):
    integration = integration_make(org, "openai", key="sk-admin-not-the-right-one-0000")
    result = integration_sync(integration.pk, trigger="api", now=NOW)
    assert result.status == "invalid_key"
    assert provider_server.to(OPENAI_USAGE)[0].headers["authorization"] == (
        "Bearer sk-admin-not-the-right-one-0000"
    )


def test_a_slow_provider_is_cut_off_by_the_read_timeout(provider_server, org, settings):
    settings.PROVIDER_SYNC_READ_TIMEOUT_SECONDS = 0.3
    settings.PROVIDER_SYNC_ATTEMPTS = 2
    one_day_of_usage(provider_server)
    provider_server.fail_always(OPENAI_USAGE, Answer(delay=3.0))
    integration = integration_make(org, "openai")

    started = time.monotonic()
    result = integration_sync(integration.pk, trigger="schedule", now=NOW)
    elapsed = time.monotonic() - started

    # Two attempts of 0.3 s each (the waits between are recorded, not waited), not 6 s.
    assert elapsed < 2.5
    assert len(provider_server.to(OPENAI_USAGE)) == 2
    assert result.status == "partial"
    assert result.message == (
        "Costs synced (complete through 2026-11-29); usage not synced: OpenAI did not "
        "answer in time, 2 times. The next sync tries again."
    )


def test_a_partial_failure_keeps_the_usage_and_says_the_costs_were_not_synced(
    provider_server, org, settings
):
    settings.PROVIDER_SYNC_BACKOFF_SECONDS = 1
    one_day_of_usage(provider_server)
    provider_server.fail_always(OPENAI_COSTS, Answer(status=500))
    integration = integration_make(org, "openai")

    result = integration_sync(integration.pk, trigger="schedule", now=NOW)

    message = (
        "Usage synced (complete through 2026-11-29); costs not synced: OpenAI answered "
        "with a server error (HTTP 500), 4 times. The next sync tries again."
    )
    assert (result.status, result.usage_records, result.cost_records, result.message) == (
        "partial",
        1,
        0,
        message,
    )
    assert len(provider_server.to(OPENAI_COSTS)) == 4 and len(provider_server.sleeps) == 3
    assert list(ProviderUsageBucket.objects.values_list("model", "input_tokens")) == [
        ("gpt-4o", 10)
    ]
    assert not ProviderCostBucket.objects.exists()
    integration.refresh_from_db()
    assert (integration.status, integration.status_message) == ("partial", message)
    assert integration.usage_synced_until == TODAY
    assert integration.costs_synced_until is None
    assert integration.last_success_at is None

    # Once the costs answer again, the next sync reads their whole first window.
    provider_server.recover(OPENAI_COSTS)
    later = integration_sync(integration.pk, trigger="schedule", now=NOW + timedelta(hours=1))
    assert (later.status, later.cost_records) == ("ok", 1)
    assert provider_server.to(OPENAI_COSTS)[-1].one("start_time") == str(
        int(datetime(2026, 10, 30, tzinfo=UTC).timestamp())
    )


def test_nothing_synced_is_an_error(provider_server, org):
    provider_server.fail_always(ANTHROPIC_USAGE, Answer(status=500))
    provider_server.fail_always(ANTHROPIC_COSTS, Answer(status=529))
    integration = integration_make(org, "anthropic")

    result = integration_sync(integration.pk, trigger="schedule", now=NOW)

    assert (result.status, result.records) == ("error", 0)
    assert result.message == (
        "Usage not synced: Anthropic answered with a server error (HTTP 500), 4 times. The "
        "next sync tries again.; costs not synced: Anthropic answered with a server error "
        "(HTTP 529), 4 times. The next sync tries again."
    )
    integration.refresh_from_db()
    assert integration.status == "error" and integration.usage_synced_until is None


def test_a_refused_request_is_not_retried_and_says_why(provider_server, org):
    provider_server.script(
        OPENAI_USAGE, Answer(status=400, message="start_time must be in the past")
    )
    integration = integration_make(org, "openai")

    result = integration_sync(integration.pk, trigger="schedule", now=NOW)

    assert result.status == "partial"
    assert result.message == (
        "Costs synced (complete through 2026-11-29); usage not synced: OpenAI refused the "
        "request (HTTP 400): start_time must be in the past"
    )
    assert len(provider_server.to(OPENAI_USAGE)) == 1 and provider_server.sleeps == []


def test_the_key_is_in_no_log_line_and_no_message(provider_server, org, caplog, settings):
    settings.PROVIDER_SYNC_ATTEMPTS = 2
    caplog.set_level(logging.DEBUG)  # httpx2 and httpcore2 at their most talkative too
    one_day_of_usage(provider_server)
    provider_server.script(OPENAI_USAGE, Answer(status=429, retry_after="1"))
    # A provider that quotes the key back in an error message.
    provider_server.script(
        OPENAI_COSTS, Answer(status=400, message=f"Unknown key {OPENAI_KEY} for this org")
    )
    provider_server.fail_always(ANTHROPIC_USAGE, Answer(status=503))
    provider_server.script(ANTHROPIC_COSTS, Answer(status=401))
    openai = integration_make(org, "openai")
    anthropic = integration_make(org, "anthropic")

    results = [
        integration_sync(openai.pk, trigger="api", now=NOW),
        integration_sync(anthropic.pk, trigger="api", now=NOW),
    ]

    assert [result.status for result in results] == ["partial", "invalid_key"]
    assert results[0].message.endswith("Unknown key [admin key] for this org")
    assert "rate limiting" in caplog.text  # the retries were logged...
    texts = [
        caplog.text,
        *(result.message for result in results),
        *SyncRun.objects.values_list("message", flat=True),
        *ProviderIntegration.objects.values_list("status_message", flat=True),
    ]
    for key in (OPENAI_KEY, ANTHROPIC_KEY):
        assert not any(key in text for text in texts)  # ...without the key
        assert not any(key[-20:] in text for text in texts)


def test_a_key_that_cannot_be_decrypted_is_an_error_saying_so(provider_server, org, settings):
    integration = integration_make(org, "openai")
    ProviderIntegration.objects.filter(pk=integration.pk).update(
        key_ciphertext=field_encrypt("x")[:-8] + "AAAAAAAA"
    )
    result = integration_sync(integration.pk, trigger="api", now=NOW)
    assert result.status == "error"
    assert "cannot be decrypted with FIELD_ENCRYPTION_KEY" in result.message
    assert provider_server.requests == []


# --- one sync at a time ----------------------------------------------------------------------


def test_a_second_sync_while_one_runs_answers_that_it_is_running(provider_server, org):
    integration = integration_make(org, "openai", status=IntegrationStatus.OK)
    running = SyncRun.objects.create(
        integration=integration, trigger="schedule", started_at=NOW - timedelta(minutes=2)
    )

    result = integration_sync(integration.pk, trigger="api", now=NOW)

    assert result.already_running
    assert (result.status, result.records) == ("ok", 0)
    assert result.message == (
        "A sync of this integration is already running (started 2026-11-30 10:28 UTC)."
    )
    assert provider_server.requests == []
    assert list(SyncRun.objects.values_list("pk", flat=True)) == [running.pk]


def test_a_sync_cut_off_long_ago_no_longer_blocks_the_next(provider_server, org):
    integration = integration_make(org, "openai")
    dead = SyncRun.objects.create(
        integration=integration, trigger="schedule", started_at=NOW - timedelta(minutes=20)
    )

    result = integration_sync(integration.pk, trigger="api", now=NOW)

    assert not result.already_running and result.status == "ok"
    dead.refresh_from_db()
    assert (dead.status, dead.finished_at, dead.message) == (
        "error",
        NOW,
        "Cut off: the worker stopped before the sync ended.",
    )
    assert SyncRun.objects.filter(finished_at__isnull=True).count() == 0


def test_a_failing_sync_closes_its_run_before_raising(provider_server, org, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(openai_admin, "usage_fetch", broken)
    integration = integration_make(org, "openai")

    with pytest.raises(RuntimeError):
        integration_sync(integration.pk, trigger="api", now=NOW)

    run = SyncRun.objects.get()
    assert run.finished_at is not None and run.status == "error"
    integration.refresh_from_db()
    assert integration.status == "error"
    # Not left claimed: the next sync runs.
    monkeypatch.undo()
    assert not integration_sync(integration.pk, trigger="api", now=NOW).already_running


# --- the tasks ---------------------------------------------------------------------------------


def test_one_organizations_failing_integration_holds_back_no_other(
    provider_server, org, outsider_org, monkeypatch
):
    one_day_of_usage(provider_server)
    refused = integration_make(org, "anthropic", key="sk-ant-admin01-revoked-0000")
    broken = integration_make(org, "openai", key="sk-admin-breaks-the-code-0000")
    healthy = integration_make(outsider_org, "openai")
    healthy_anthropic = integration_make(outsider_org, "anthropic")
    real_fetch = openai_admin.usage_fetch

    def fetch(api, **kwargs):
        if "breaks" in api._secret:
            raise RuntimeError("a bug met by one organization's data")
        return real_fetch(api, **kwargs)

    monkeypatch.setattr(openai_admin, "usage_fetch", fetch)

    assert integrations_sync_all() == 4

    statuses = dict(ProviderIntegration.objects.values_list("pk", "status"))
    assert statuses == {
        refused.pk: "invalid_key",
        broken.pk: "error",
        healthy.pk: "ok",
        healthy_anthropic.pk: "ok",
    }
    assert ProviderUsageBucket.objects.filter(organization=outsider_org).count() == 2
    assert SyncRun.objects.filter(trigger="schedule").count() == 4

    # An hour later the refused key is skipped: no request carries it.
    provider_server.requests.clear()
    assert integrations_sync_all() == 3
    assert not any(
        r.headers.get("x-api-key") == "sk-ant-admin01-revoked-0000"
        for r in provider_server.requests
    )


def test_the_sync_task_returns_the_status_and_skips_a_removed_integration(provider_server, org):
    integration = integration_make(org, "anthropic")
    assert integration_sync_task(integration.pk, "schedule", False) == "ok"
    integration.delete()
    assert integration_sync_task(integration.pk, "schedule", False) is None


def test_a_queued_sync_runs_once_the_transaction_commits(provider_server, org, eager):
    one_day_of_usage(provider_server)
    integration = integration_make(org, "openai")
    with committed():
        integration_sync_queue(integration.pk, trigger="page")
        assert provider_server.requests == []
    assert SyncRun.objects.get().trigger == "page"
    assert ProviderUsageBucket.objects.count() == 1


def test_the_hourly_schedule_names_the_task(settings):
    from tokentracker.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["integrations-sync"]
    assert entry["task"] == "billing.tasks.integrations_sync_all"
    assert entry["task"] in app.tasks
    assert entry["schedule"].minute == {7} and len(entry["schedule"].hour) == 24


@pytest.mark.django_db(transaction=True)
def test_two_syncs_of_one_integration_at_once_run_once(provider_server, org):
    # The first sync is held up by a slow provider while the second starts.
    one_day_of_usage(provider_server)
    provider_server.script(OPENAI_USAGE, Answer(delay=1.0))
    integration = integration_make(org, "openai")
    results = []

    def sync() -> None:
        try:
            results.append(integration_sync(integration.pk, trigger="api"))
        finally:
            connection.close()

    first = threading.Thread(target=sync)
    first.start()
    time.sleep(0.3)
    second = threading.Thread(target=sync)
    second.start()
    first.join(10)
    second.join(10)

    assert sorted(result.already_running for result in results) == [False, True]
    assert SyncRun.objects.count() == 1
    assert len(provider_server.to(OPENAI_USAGE)) == 2  # the first sync's two pages only
