"""GET /metrics: Prometheus's exposition of the ingest doors, Celery tasks, alert deliveries
and the health gauges; only for a scraper holding METRICS_TOKEN.

Counters are process-wide: each test starts them from zero, so every count is exact.
"""

import os
import subprocess
import sys
from datetime import datetime
from unittest import mock

import pytest
from django.conf import settings as django_settings
from prometheus_client.parser import text_string_to_metric_families

from billing.models import AlertDelivery, DeliveryStatus
from tests.billing.receivers import Receiver, budget_alert, endpoint_admin
from tokentracker import metrics
from tokentracker.celery import app as celery_app
from tokentracker.heartbeat import worker_heartbeat_record
from usage.rollups import rollups_merge
from usage.schemas import EventInput
from usage.services.events import events_record

pytestmark = pytest.mark.django_db

TOKEN = "scrape-8d3f0c2b61a94e7f"
EVENT = {"provider": "openai", "model": "gpt-4o", "input_tokens": 1000, "output_tokens": 10}


@pytest.fixture(autouse=True)
def counted_from_zero(settings):
    for metric in metrics.ALL_METRICS:
        metric.clear()
    settings.METRICS_TOKEN = TOKEN
    yield
    for metric in metrics.ALL_METRICS:
        metric.clear()


def scrape(client) -> str:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def lines(exposition: str, prefix: str) -> list[str]:
    return sorted(line for line in exposition.splitlines() if line.startswith(prefix + "{"))


def samples(exposition: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


# --- who may scrape --------------------------------------------------------------------------


def test_without_a_token_configured_there_are_no_metrics(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", TOKEN])
def test_a_scraper_without_the_token_is_refused(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"tokentracker_" not in response.content


def test_an_api_key_is_not_a_metrics_token(client, raw_key):
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {raw_key}").status_code == 401


def test_a_scrape_over_plain_http_is_not_redirected(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_metrics_only_answer_get(client):
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


# --- ingest doors -----------------------------------------------------------------------------


def test_events_accepted_and_refused_are_counted_per_door_exactly(api, raw_key, client):
    # /api/v1/events: a batch of three, one invalid; then the same first event again.
    batch = [
        {**EVENT, "id": "evt-1"},
        {**EVENT, "id": "evt-2"},
        {**EVENT, "id": "evt-3", "input_tokens": -5},
    ]
    assert api.post("/api/v1/events", {"events": batch}, raw_key).status_code == 201
    assert api.post("/api/v1/events", {**EVENT, "id": "evt-1"}, raw_key).status_code == 201
    # /api/ingest (CodingVibez): one record written, then a batch refused whole.
    tokens = {"model": "gpt-4o", "inputTokens": 1000, "outputTokens": 10}
    body = {"type": "tokens", "service": "openai", "data": [tokens]}
    assert api.post("/api/ingest", body, raw_key).status_code == 200
    refused = {"type": "tokens", "service": "openai", "data": [{**tokens, "inputTokens": -1}] * 2}
    assert api.post("/api/ingest", refused, raw_key).status_code == 400
    # Refused before any event is judged: no key.
    assert api.post("/api/v1/events", EVENT).status_code == 401

    exposition = scrape(client)
    assert lines(exposition, "tokentracker_ingest_events_total") == [
        'tokentracker_ingest_events_total{door="/api/ingest",outcome="accepted"} 1.0',
        'tokentracker_ingest_events_total{door="/api/ingest",outcome="refused"} 2.0',
        'tokentracker_ingest_events_total{door="/api/v1/events",outcome="accepted"} 2.0',
        'tokentracker_ingest_events_total{door="/api/v1/events",outcome="duplicate"} 1.0',
        'tokentracker_ingest_events_total{door="/api/v1/events",outcome="refused"} 1.0',
    ]
    assert lines(exposition, "tokentracker_ingest_requests_total") == [
        'tokentracker_ingest_requests_total{door="/api/ingest",status="200"} 1.0',
        'tokentracker_ingest_requests_total{door="/api/ingest",status="400"} 1.0',
        'tokentracker_ingest_requests_total{door="/api/v1/events",status="201"} 2.0',
        'tokentracker_ingest_requests_total{door="/api/v1/events",status="401"} 1.0',
    ]
    assert lines(exposition, "tokentracker_ingest_request_duration_seconds_count") == [
        'tokentracker_ingest_request_duration_seconds_count{door="/api/ingest"} 2.0',
        'tokentracker_ingest_request_duration_seconds_count{door="/api/v1/events"} 3.0',
    ]
    values = samples(exposition)
    # Every request took some time, and no more than the largest bucket holds.
    for door in ("/api/ingest", "/api/v1/events"):
        labels = (("door", door),)
        assert values[("tokentracker_ingest_request_duration_seconds_sum", labels)] > 0
        infinite = (("door", door), ("le", "+Inf"))
        ten = (("door", door), ("le", "10.0"))
        bucket = "tokentracker_ingest_request_duration_seconds_bucket"
        assert values[(bucket, ten)] == values[(bucket, infinite)]


def test_every_door_counts_the_event_it_accepts(api, org, raw_key, test_key, client, eager):
    from tokentracker import services as tenancy

    tw_key = tenancy.api_key_create(organization=org, name="tokenwise", prefix="tw_api_").raw_key
    track = {"tenant_id": "client-acme", "model": "gpt-4o", "prompt_tokens": 100}
    answers = [
        api.post("/api/v1/events", EVENT, raw_key).status_code,
        api.post("/api/v1/track", {**track, "completion_tokens": 5}, test_key).status_code,
        api.post(
            "/api/v1/observe",
            {"provider": "openai", "model": "gpt-4o", "inputTokens": 10, "outputTokens": 1},
            tw_key,
        ).status_code,
        api.post(
            "/api/tokens/track",
            {"provider": "openai", "model": "gpt-4o", "inputTokens": 10, "outputTokens": 1},
            raw_key,
        ).status_code,
        api.post(
            "/api/ingest",
            {
                "type": "tokens",
                "service": "openai",
                "data": {"model": "gpt-4o", "inputTokens": 1, "outputTokens": 1},
            },
            raw_key,
        ).status_code,
    ]
    assert answers == [201, 202, 201, 200, 200]
    assert lines(scrape(client), "tokentracker_ingest_events_total") == [
        f'tokentracker_ingest_events_total{{door="{door}",outcome="accepted"}} 1.0'
        for door in sorted(metrics.INGEST_DOORS)
    ]


def test_a_tracked_event_past_the_free_quota_is_counted_refused(api, org, live_key, client):
    org.plan.free_live_events_per_month = 1
    org.plan.save()
    body = {
        "tenant_id": "client-acme",
        "model": "gpt-4o",
        "prompt_tokens": 1,
        "completion_tokens": 1,
    }
    assert [api.post("/api/v1/track", body, live_key).status_code for _ in range(2)] == [202, 402]
    assert lines(scrape(client), "tokentracker_ingest_events_total") == [
        'tokentracker_ingest_events_total{door="/api/v1/track",outcome="accepted"} 1.0',
        'tokentracker_ingest_events_total{door="/api/v1/track",outcome="refused"} 1.0',
    ]


def test_events_written_from_no_door_are_not_counted(org, client):
    events_record(organization_id=org.id, api_key_id=None, events=[EventInput(**EVENT)])
    assert lines(scrape(client), "tokentracker_ingest_events_total") == []


def test_reads_and_other_paths_are_not_ingest_requests(api, raw_key, client):
    api.get("/api/v1/events", raw_key)
    api.get("/api/health")
    assert lines(scrape(client), "tokentracker_ingest_requests_total") == []


# --- gauges read at scrape time ---------------------------------------------------------------


def test_the_rollup_lag_is_a_gauge(org, client, freeze):
    freeze("2026-01-05T12:00:00Z")
    rollups_merge()
    events_record(organization_id=org.id, api_key_id=None, events=[EventInput(**EVENT)])
    freeze("2026-01-05T12:00:42Z")
    values = samples(scrape(client))
    assert values[("tokentracker_rollup_lag_seconds", ())] == 42.0
    assert values[("tokentracker_rollup_pending", ())] == 1.0
    assert values[("tokentracker_rollup_set_aside_events", ())] == 0.0
    rollups_merge()
    values = samples(scrape(client))
    assert (
        values[("tokentracker_rollup_lag_seconds", ())],
        values[("tokentracker_rollup_pending", ())],
    ) == (0.0, 0.0)


def test_a_lag_nobody_knows_is_left_out_rather_than_guessed(org, client):
    events_record(organization_id=org.id, api_key_id=None, events=[EventInput(**EVENT)])
    values = samples(scrape(client))
    assert values[("tokentracker_rollup_pending", ())] == 1.0
    assert ("tokentracker_rollup_lag_seconds", ()) not in values


def test_the_worker_heartbeat_age_is_a_gauge_when_a_worker_is_expected(client, settings, freeze):
    assert "tokentracker_worker_heartbeat_age_seconds" not in scrape(client)  # eager
    settings.CELERY_TASK_ALWAYS_EAGER = False
    freeze("2026-01-05T12:00:00Z")
    worker_heartbeat_record(at=datetime.fromisoformat("2026-01-05T11:59:48+00:00"))
    assert samples(scrape(client))[("tokentracker_worker_heartbeat_age_seconds", ())] == 12.0


# --- Celery tasks and alert deliveries --------------------------------------------------------


@celery_app.task(bind=True, name="tests.metrics.flaky", max_retries=3)
def flaky(self, failures: int) -> str:
    if self.request.retries < failures:
        raise self.retry(countdown=0)
    return "done"


@celery_app.task(name="tests.metrics.broken")
def broken() -> None:
    raise ValueError("broken on purpose")


def test_task_retries_and_failures_are_counted_by_task(client):
    # Once each: an eager retry runs again at once, and a second one would propagate.
    assert [flaky.apply(args=(1,), throw=False).result for _ in range(2)] == ["done", "done"]
    assert broken.apply(throw=False).status == "FAILURE"
    assert broken.apply(throw=False).status == "FAILURE"
    exposition = scrape(client)
    assert lines(exposition, "tokentracker_celery_task_retries_total") == [
        'tokentracker_celery_task_retries_total{task="tests.metrics.flaky"} 2.0'
    ]
    assert lines(exposition, "tokentracker_celery_task_failures_total") == [
        'tokentracker_celery_task_failures_total{task="tests.metrics.broken"} 2.0'
    ]


def test_alert_delivery_attempts_are_counted_by_channel_and_outcome(
    org, client, private_webhooks_allowed, django_capture_on_commit_callbacks
):
    from billing.services.webhooks import webhook_endpoint_create
    from billing.signals import alert_fired

    receiver = Receiver().start()
    try:
        created = webhook_endpoint_create(
            organization_id=org.id,
            actor=endpoint_admin(org),
            name="Ops",
            kind="webhook",
            url=receiver.base + "/hooks/budget",
        )
        receiver.secret = created.secret
        # One alert answered 500, then 200 (without a broker the retry follows at once);
        # another answered 410, which is not retried.
        for statuses in ([500, 200], [410]):
            receiver.statuses = statuses
            alert = budget_alert(org)
            with django_capture_on_commit_callbacks(execute=True):
                alert_fired.send(sender=type(alert), alert_id=alert.pk)
    finally:
        receiver.stop()
    assert list(AlertDelivery.objects.order_by("id").values_list("status", flat=True)) == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
    ]
    assert lines(scrape(client), "tokentracker_alert_delivery_attempts_total") == [
        'tokentracker_alert_delivery_attempts_total{channel="webhook",outcome="delivered"} 1.0',
        'tokentracker_alert_delivery_attempts_total{channel="webhook",outcome="failed"} 1.0',
        'tokentracker_alert_delivery_attempts_total{channel="webhook",outcome="retry"} 1.0',
    ]


# --- several processes ------------------------------------------------------------------------


def count_in_a_process_of_its_own(directory, door: str, accepted: int) -> None:
    """A process in multiprocess mode (as each gunicorn or Celery worker runs) counts."""
    code = (
        "from tokentracker.metrics import ingest_events_counted, ingest_request_observed\n"
        f"ingest_events_counted(door={door!r}, accepted={accepted})\n"
        f"ingest_request_observed(door={door!r}, status=201, seconds=0.02)\n"
    )
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "DJANGO_SETTINGS_MODULE": "tokentracker.settings",
    }
    subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env=env,
        check=True,
        timeout=60,
    )


def test_with_a_multiprocess_directory_the_counts_of_every_process_are_summed(client, tmp_path):
    count_in_a_process_of_its_own(tmp_path, "/api/ingest", 2)
    count_in_a_process_of_its_own(tmp_path, "/api/ingest", 3)
    count_in_a_process_of_its_own(tmp_path, "/api/v1/events", 4)
    assert len(list(tmp_path.glob("*.db"))) >= 3  # one file per process and metric type
    metrics.INGEST_EVENTS.labels(door="/api/ingest", outcome="accepted").inc(100)  # not in dir
    with mock.patch.dict(os.environ, {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}):
        exposition = scrape(client)
    assert lines(exposition, "tokentracker_ingest_events_total") == [
        'tokentracker_ingest_events_total{door="/api/ingest",outcome="accepted"} 5.0',
        'tokentracker_ingest_events_total{door="/api/v1/events",outcome="accepted"} 4.0',
    ]
    assert lines(exposition, "tokentracker_ingest_request_duration_seconds_count") == [
        'tokentracker_ingest_request_duration_seconds_count{door="/api/ingest"} 2.0',
        'tokentracker_ingest_request_duration_seconds_count{door="/api/v1/events"} 1.0',
    ]
    # The gauges are read by the scraping process itself, whatever the mode.
    assert "tokentracker_rollup_pending 0.0" in exposition.splitlines()


def test_a_stale_window_no_longer_than_the_heartbeat_stops_start_up():
    # Shorter, a healthy worker would be reported gone between two of its beats.
    result = subprocess.run(
        [sys.executable, "-c", "import tokentracker.settings"],
        env={
            **os.environ,
            "HEALTH_WORKER_HEARTBEAT_SECONDS": "60",
            "HEALTH_WORKER_STALE_SECONDS": "60",
        },
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert (
        "HEALTH_WORKER_STALE_SECONDS must be longer than HEALTH_WORKER_HEARTBEAT_SECONDS, "
        "got 60 and 60"
    ) in result.stderr
