"""POST /api/v1/track (carbon-llm, seed 002): 202 now, the event written by a task."""

from decimal import Decimal
from unittest import mock

import pytest

from tests.carbon.helpers import ecologits_grams, post_json
from tokentracker.models import MonthlyLiveEventCount
from usage.models import PendingTrack, UsageEvent
from usage.schemas import MAX_TOKENS
from usage.services.tracks import pending_track_persist, pending_tracks_sweep

URL = "/api/v1/track"
BODY = {
    "tenant_id": "client-acme",
    "model": "gpt-4o",
    "prompt_tokens": 100,
    "completion_tokens": 50,
}


def track(client, key, body=BODY, **headers):
    return post_json(client, URL, body, key=key, **headers)


@pytest.fixture
def limited_plan(org):
    org.plan.free_live_events_per_month = 2
    org.plan.save()
    return org.plan


def test_test_key_is_accepted_stored_once_and_never_counted(
    client, org, test_key, methodology, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = track(client, test_key)
    assert response.status_code == 202
    body = response.json()
    expected = ecologits_grams("openai", "gpt-4o", 50)[0]
    assert body == {
        "queued": True,
        "event_id": response["X-Event-Id"],
        "is_test": True,
        "methodology_version": methodology,
        "estimated_co2_grams": expected,
        "total_tokens": 150,
        "co2_per_1k_tokens_used": round(expected / 150 * 1000, 9),
        "confidence": "estimated",
        "source": body["source"],
        "model_found": True,
    }
    assert body["event_id"].startswith("evt_")
    assert not MonthlyLiveEventCount.objects.exists()
    assert not PendingTrack.objects.exists()
    event = UsageEvent.objects.get()
    assert event.client_event_id == body["event_id"]
    assert event.organization_id == org.id
    assert event.tenant_id == "client-acme"
    assert (event.provider, event.model) == ("openai", "gpt-4o")
    assert (event.input_tokens, event.output_tokens) == (100, 50)
    assert float(event.co2e_grams) == body["estimated_co2_grams"]
    assert event.carbon_methodology == body["methodology_version"]


def test_stored_event_keeps_the_numbers_of_the_202_even_if_factors_change_meanwhile(
    client, org, test_key
):
    # No on_commit callbacks run: the task has not run yet when the methodology changes.
    response = track(client, test_key)
    body = response.json()
    from carbon.services import methodology_bump

    methodology_bump(reason="factors edited while the event waited")
    pending = PendingTrack.objects.get()
    assert pending_track_persist(pending_id=pending.pk) is True
    event = UsageEvent.objects.get()
    assert float(event.co2e_grams) == body["estimated_co2_grams"]
    assert event.carbon_methodology == body["methodology_version"]


def test_live_key_counts_down_its_free_quota_then_gets_402(
    client, live_key, limited_plan, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = track(client, live_key)
        second = track(client, live_key)
        third = track(client, live_key)
    assert first.status_code == second.status_code == 202
    assert first.json()["is_test"] is False
    assert first.json()["free_events_remaining"] == 1
    assert second.json()["free_events_remaining"] == 0
    assert third.status_code == 402
    error = third.json()["error"]
    assert error["code"] == "payment_required"
    assert error["message"] == "Free tier quota exceeded for live key."
    assert error["billing_url"] == "http://testserver/o/acme/billing/"
    assert UsageEvent.objects.count() == 2
    assert MonthlyLiveEventCount.objects.get().events == 2


def test_a_zero_free_quota_refuses_the_first_live_event_and_counts_nothing(
    client, org, live_key, test_key
):
    org.plan.free_live_events_per_month = 0
    org.plan.save()
    assert track(client, live_key).status_code == 402
    assert not MonthlyLiveEventCount.objects.exists()
    assert not PendingTrack.objects.exists()
    assert track(client, test_key).status_code == 202


def test_live_key_on_an_unlimited_plan_has_no_free_events_remaining(client, live_key):
    body = track(client, live_key).json()
    assert "free_events_remaining" not in body
    assert MonthlyLiveEventCount.objects.get().events == 1


def test_any_key_of_the_organization_may_track(client, raw_key):
    assert track(client, raw_key).status_code == 202


def test_no_key_is_401_in_the_seed_envelope(client, db):
    response = track(client, None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not PendingTrack.objects.exists()


def test_a_wrong_key_is_401(client, db):
    assert track(client, "isv_live_sk_" + "x" * 40).status_code == 401


def test_an_outsiders_key_tracks_into_its_own_organization(
    client, org, outsider_org, outsider_key, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        track(client, outsider_key)
    assert UsageEvent.objects.get().organization_id == outsider_org.id
    assert not UsageEvent.objects.filter(organization_id=org.id).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in BODY.items() if k != "tenant_id"}, "tenant_id"),
        ({**BODY, "prompt_tokens": -5}, "prompt_tokens"),
        ({**BODY, "completion_tokens": 1.5}, "completion_tokens"),
        ({**BODY, "completion_tokens": 10**9 + 1}, "completion_tokens"),
        ({**BODY, "datacenter_country": "ZZ"}, "datacenter_country"),
        ({**BODY, "duration_ms": 0}, "duration_ms"),
    ],
)
def test_bad_bodies_are_400_and_keep_nothing(client, test_key, body, field):
    response = track(client, test_key, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]
    assert not PendingTrack.objects.exists()


def test_broker_down_the_request_stores_the_event_itself_exactly_once(
    client, test_key, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with (
        mock.patch(
            "usage.tasks.pending_track_persist_task.delay",
            side_effect=ConnectionError("broker unreachable"),
        ) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = track(client, test_key)
    assert response.status_code == 202
    assert delay.call_count == 1
    assert UsageEvent.objects.filter(client_event_id=response["X-Event-Id"]).count() == 1
    assert not PendingTrack.objects.exists()
    # A late duplicate delivery of the task, and the sweep, change nothing.
    assert pending_tracks_sweep() == 0
    assert UsageEvent.objects.count() == 1


def test_the_task_running_twice_writes_the_event_once(client, test_key):
    track(client, test_key)
    pending = PendingTrack.objects.get()
    assert pending_track_persist(pending_id=pending.pk) is True
    assert pending_track_persist(pending_id=pending.pk) is False
    assert UsageEvent.objects.count() == 1


def test_the_sweep_writes_events_whose_task_was_lost(client, test_key):
    track(client, test_key)
    assert pending_tracks_sweep() == 0  # younger than 30 s: its task may still come
    PendingTrack.objects.update(received_at="2026-01-01T00:00:00Z")
    assert pending_tracks_sweep() == 1
    assert UsageEvent.objects.count() == 1


def test_optional_fields_reach_the_event(
    client, test_key, eager, django_capture_on_commit_callbacks
):
    body = {
        **BODY,
        "model": "claude-sonnet-4-5",
        "provider": "anthropic",
        "developer_id": "dev-1",
        "session_id": "s-1",
        "duration_ms": 1800,
        "datacenter_country": "fi",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = track(client, test_key, body)
    event = UsageEvent.objects.get()
    assert (event.developer_id, event.session_id, event.latency_ms) == ("dev-1", "s-1", 1800)
    assert event.provider == "anthropic"
    expected = ecologits_grams("anthropic", "claude-sonnet-4-5", 50, "FIN", latency_s=1.8)[0]
    assert response.json()["estimated_co2_grams"] == expected
    assert event.co2e_grams == Decimal(str(expected))


def test_an_unknown_model_is_accepted_with_model_found_false(client, test_key):
    body = track(client, test_key, {**BODY, "model": "in-house-model"}).json()
    assert body["model_found"] is False
    assert body["confidence"] == "estimated"


def test_database_unreachable_is_503_service_unavailable_and_nothing_is_claimed(client, test_key):
    from django.db import OperationalError

    with mock.patch(
        "usage.models.PendingTrack.objects.create",
        side_effect=OperationalError("connection refused"),
    ):
        response = track(client, test_key)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"


def test_the_largest_call_ingest_accepts_is_stored_without_overflow(
    client, test_key, eager, django_capture_on_commit_callbacks
):
    body = {**BODY, "model": "gpt-5.5-pro", "completion_tokens": MAX_TOKENS}
    with django_capture_on_commit_callbacks(execute=True):
        response = track(client, test_key, body)
    assert response.status_code == 202
    event = UsageEvent.objects.get()
    # Exact on PostgreSQL; SQLite keeps decimals as doubles (15-16 significant digits).
    assert float(event.co2e_grams) == pytest.approx(
        response.json()["estimated_co2_grams"], rel=1e-15
    )
    assert event.co2e_grams > Decimal(10**6)


def test_a_plain_options_request_is_answered_without_a_key(client, db):
    assert client.options(URL).status_code == 200
    assert client.options("/api/v1/session/ana/today").status_code == 200
