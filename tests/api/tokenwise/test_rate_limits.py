"""Per-plan hourly rate limits on Tokenwise's reads, with X-RateLimit-* headers; ingest
(`POST /api/v1/observe`) is outside them and limited by the daily event quota only."""

import time
from unittest import mock

import pytest
from django.core.cache import cache

from tokentracker import services as tenancy
from tokentracker.models import ApiKeyScope, Plan
from usage.models import UsageEvent

from .conftest import observe

pytestmark = pytest.mark.django_db
HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def quota(response):
    return tuple(response.headers.get(name) for name in HEADERS[:2])


def test_every_response_carries_the_quota_and_a_429_says_when_to_retry(api, tiny_plan, tw_key):
    before = int(time.time())
    responses = [
        api.get("/api/v1/public/requests", tw_key),
        api.get("/api/v1/public/metrics", tw_key, range="nope"),  # a 400 counts and shows too
        api.get("/api/v1/public/evals", tw_key),
    ]
    assert [r.status_code for r in responses] == [200, 400, 200]
    assert [quota(r) for r in responses] == [("3", "2"), ("3", "1"), ("3", "0")]
    reset = int(responses[0].headers["X-RateLimit-Reset"])
    assert before < reset <= before + 3600
    assert {r.headers["X-RateLimit-Reset"] for r in responses} == {str(reset)}

    limited = api.get("/api/v1/public/evals", tw_key)
    assert limited.status_code == 429
    assert limited.json() == {"error": "Rate limit exceeded"}
    assert quota(limited) == ("3", "0")
    retry_after = int(limited.headers["Retry-After"])
    assert 1 <= retry_after <= 3600
    assert abs(int(time.time()) + retry_after - reset) <= 2


def test_an_app_that_used_up_its_reads_still_logs_its_calls(api, tiny_plan, tw_key):
    for _ in range(3):
        assert api.get("/api/v1/public/metrics", tw_key).status_code == 200
    assert api.get("/api/v1/public/requests", tw_key).status_code == 429

    accepted = [observe(api, tw_key) for _ in range(5)]
    assert [r.status_code for r in accepted] == [201] * 5
    assert UsageEvent.objects.count() == 5
    # Ingest neither shows nor spends the read quota...
    assert all("X-RateLimit-Limit" not in r.headers for r in accepted)
    # ...and the reads stay limited, at the count they had.
    limited = api.get("/api/v1/public/evals", tw_key)
    assert limited.status_code == 429
    assert quota(limited) == ("3", "0")


def test_observing_does_not_spend_the_read_quota(api, tiny_plan, tw_key):
    for _ in range(4):
        assert observe(api, tw_key).status_code == 201
    assert quota(api.get("/api/v1/public/metrics", tw_key)) == ("3", "2")


def test_observe_is_limited_by_the_daily_event_quota_with_a_retry_after(
    api, org, tiny_plan, tw_key, freeze
):
    freeze("2026-03-04T23:59:00Z")
    tiny_plan.daily_event_limit = 2
    tiny_plan.save()
    assert [observe(api, tw_key).status_code for _ in range(2)] == [201, 201]
    refused = observe(api, tw_key)
    assert refused.status_code == 429
    assert refused.json() == {"error": "Daily event limit reached"}
    assert refused.headers["Retry-After"] == "60"  # until midnight UTC
    assert UsageEvent.objects.count() == 2
    # The reads are a separate budget: the quota being spent does not touch them.
    assert api.get("/api/v1/public/requests", tw_key).status_code == 200


def test_a_read_only_key_refused_on_observe_spends_no_read_quota(api, org, tiny_plan, tw_key):
    read_key = tenancy.api_key_create(organization=org, name="r", scope=ApiKeyScope.READ)
    response = observe(api, read_key.raw_key)
    assert response.status_code == 403
    assert "X-RateLimit-Limit" not in response.headers
    assert quota(api.get("/api/v1/public/metrics", tw_key)) == ("3", "2")


def test_requests_without_a_valid_key_belong_to_no_quota(api, org, tiny_plan):
    for _ in range(5):
        response = api.get("/api/v1/public/requests", "tw_api_" + "x" * 40)
        assert response.status_code == 401
        assert "X-RateLimit-Limit" not in response.headers


def test_each_organization_has_its_own_counter(api, tiny_plan, tw_key, outsider_key):
    for _ in range(3):
        api.get("/api/v1/public/metrics", tw_key)
    assert api.get("/api/v1/public/metrics", tw_key).status_code == 429
    response = api.get("/api/v1/public/metrics", outsider_key)
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Limit"] == "100000"  # the default plan


def test_every_key_of_an_organization_shares_its_quota(api, org, tiny_plan, tw_key, raw_key):
    api.get("/api/v1/public/metrics", tw_key)
    api.get("/api/v1/public/metrics", raw_key)
    assert quota(api.get("/api/v1/public/metrics", tw_key)) == ("3", "0")


def test_indie_and_pro_plans_carry_tokenwises_published_limits(db):
    limits = dict(Plan.objects.values_list("slug", "hourly_request_limit"))
    assert (limits["indie"], limits["pro"]) == (1_000, 10_000)


def test_the_native_api_is_not_rate_limited_by_this_quota(api, tiny_plan, tw_key):
    for _ in range(5):
        response = api.get("/api/v1/events", tw_key)
        assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response.headers


def test_a_cache_outage_lets_requests_through(api, tiny_plan, tw_key):
    broken = ConnectionError("cache down")
    with (
        mock.patch.object(cache, "get", side_effect=broken),
        mock.patch.object(cache, "set", side_effect=broken),
        mock.patch.object(cache, "add", side_effect=broken),
        mock.patch.object(cache, "incr", side_effect=broken),
    ):
        responses = [api.get("/api/v1/public/metrics", tw_key) for _ in range(5)]
    assert [r.status_code for r in responses] == [200] * 5
    assert quota(responses[-1]) == ("3", "3")  # nothing could be counted


def test_rate_limiting_can_be_switched_off(api, tiny_plan, tw_key, settings):
    settings.RATE_LIMIT_ENABLED = False
    for _ in range(5):
        response = api.get("/api/v1/public/metrics", tw_key)
        assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response.headers
