"""POST /api/v1/events: keys, the daily quota, safe retries and the body limit."""

from decimal import Decimal

import pytest

from tokentracker import services as tenancy
from tokentracker.models import ApiKeyScope, DailyEventCount
from usage.models import UsageEvent

from .events import URL, event

D = Decimal

pytestmark = pytest.mark.django_db


def test_missing_key_is_401_with_www_authenticate(api, org):
    response = api.post(URL, event())
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "error": {"code": "UNAUTHORIZED", "message": "Invalid or missing API token", "details": {}}
    }


@pytest.mark.parametrize(
    "header",
    ["Bearer mtt_wrong", "Bearer mtt_" + "a" * 40, "Basic dXNlcjpwYXNz", "Bearer", "mtt_abc"],
)
def test_unknown_or_malformed_key_is_401(client, org, header):
    response = client.post(URL, event(), content_type="application/json", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert UsageEvent.objects.count() == 0


def test_revoked_key_is_401_immediately(api, org):
    created = tenancy.api_key_create(organization=org, name="soon revoked")
    assert api.post(URL, event(), created.raw_key).status_code == 201
    tenancy.api_key_revoke(api_key=created.api_key)
    assert api.post(URL, event(), created.raw_key).status_code == 401
    assert UsageEvent.objects.count() == 1


def test_read_only_key_cannot_write(api, org):
    read_key = tenancy.api_key_create(organization=org, name="r", scope=ApiKeyScope.READ)
    response = api.post(URL, event(), read_key.raw_key)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"
    assert UsageEvent.objects.count() == 0


def test_daily_limit_returns_429_and_writes_nothing(api, org, raw_key):
    org.plan.daily_event_limit = 3
    org.plan.save()
    assert api.post(URL, {"events": [event(), event()]}, raw_key).status_code == 201
    response = api.post(URL, {"events": [event(), event()]}, raw_key)
    assert response.status_code == 429
    assert response.json()["error"] == {
        "code": "DAILY_LIMIT_REACHED",
        "message": "Daily log limit reached.",
        "details": {"limit": 3, "used": 2, "requested": 2},
    }
    assert UsageEvent.objects.count() == 2
    assert api.post(URL, event(), raw_key).status_code == 201
    assert api.post(URL, event(), raw_key).status_code == 429
    assert DailyEventCount.objects.get(organization=org).events == 3


def test_a_batch_larger_than_the_whole_limit_is_429(api, org, raw_key):
    org.plan.daily_event_limit = 1
    org.plan.save()
    assert api.post(URL, {"events": [event(), event()]}, raw_key).status_code == 429
    assert UsageEvent.objects.count() == 0


def test_retried_batch_with_idempotency_key_counts_once(api, org, raw_key):
    body = {"events": [event(), event(model="claude-x-unknown")]}
    first = api.post(URL, body, raw_key, HTTP_IDEMPOTENCY_KEY="batch-42")
    retry = api.post(URL, body, raw_key, HTTP_IDEMPOTENCY_KEY="batch-42")
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert UsageEvent.objects.count() == 2
    assert DailyEventCount.objects.get(organization=org).events == 2


def test_idempotency_key_reused_for_another_body_is_409(api, org, raw_key):
    api.post(URL, event(), raw_key, HTTP_IDEMPOTENCY_KEY="k1")
    response = api.post(URL, event(input_tokens=99), raw_key, HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 409
    assert UsageEvent.objects.count() == 1


def test_retried_events_with_client_ids_count_once(api, org, raw_key):
    first = api.post(URL, {"events": [event(id="a"), event(id="b")]}, raw_key)
    retry = api.post(URL, {"events": [event(id="a"), event(id="b"), event(id="c")]}, raw_key)
    assert first.json()["created"] == 2
    assert retry.json() == {
        "success": True,
        "created": 1,
        "total_cost": 0.000075,
        "duplicates": 2,
        "unpriced": 0,
        "rejected": 0,
        "errors": [],
    }
    assert sorted(UsageEvent.objects.values_list("client_event_id", flat=True)) == ["a", "b", "c"]


def test_a_concurrent_retry_that_wins_the_race_is_not_counted_twice(api, org, raw_key, monkeypatch):
    """The duplicate check and the write race: the unique index decides, then we re-filter."""
    from usage.services import events as ingest

    api.post(URL, event(id="a"), raw_key)
    real_filter = ingest._without_recorded
    calls = []

    def check_that_misses_the_other_request(organization_id, rows):
        calls.append(1)
        if len(calls) == 1:
            return rows, 0  # as if the other request had not committed yet
        return real_filter(organization_id, rows)

    monkeypatch.setattr(ingest, "_without_recorded", check_that_misses_the_other_request)
    response = api.post(URL, {"events": [event(id="a"), event(id="b")]}, raw_key)
    assert response.status_code == 201
    assert (response.json()["created"], response.json()["duplicates"]) == (1, 1)
    assert len(calls) == 2
    assert sorted(UsageEvent.objects.values_list("client_event_id", flat=True)) == ["a", "b"]
    assert DailyEventCount.objects.get(organization=org).events == 2


def test_the_same_id_twice_in_one_batch_counts_once(api, org, raw_key):
    response = api.post(URL, {"events": [event(id="a"), event(id="a")]}, raw_key)
    assert (response.json()["created"], response.json()["duplicates"]) == (1, 1)


def test_an_outsider_with_the_same_client_id_does_not_touch_our_event(
    api, org, raw_key, outsider_org, outsider_key
):
    api.post(URL, event(id="shared", input_tokens=1), raw_key)
    response = api.post(URL, event(id="shared", input_tokens=2), outsider_key)
    assert response.json()["created"] == 1
    assert UsageEvent.objects.get(organization=org).input_tokens == 1
    assert UsageEvent.objects.get(organization=outsider_org).input_tokens == 2


def test_an_outsider_idempotency_key_is_its_own(api, org, raw_key, outsider_key):
    api.post(URL, event(), raw_key, HTTP_IDEMPOTENCY_KEY="same")
    response = api.post(URL, event(), outsider_key, HTTP_IDEMPOTENCY_KEY="same")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert UsageEvent.objects.count() == 2


def test_a_body_over_the_upload_limit_is_413_in_the_envelope(api, org, raw_key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post(URL, {"events": [event()] * 50}, raw_key)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "VALIDATION_FAILED"
    assert UsageEvent.objects.count() == 0
