"""CodingVibez's published rate limits (seed 004): GET 100/min, POST 30/min, sync 10/min,
upload 5/min, per plan and per organization, with X-RateLimit-* on every response."""

import time
from unittest import mock

import pytest
from django.core.cache import cache

from tokentracker import services as tenancy
from tokentracker.models import ApiKeyScope, Plan
from usage.models import UsageEvent

from .helpers import data, error

pytestmark = pytest.mark.django_db
TRACK = {"provider": "openai", "model": "gpt-4o", "inputTokens": 10, "outputTokens": 5}


def quota(response):
    return response.headers.get("X-RateLimit-Limit"), response.headers.get("X-RateLimit-Remaining")


@pytest.fixture
def small_plan(org):
    plan = Plan.objects.create(
        slug="small",
        name="Small",
        reads_per_minute=3,
        writes_per_minute=2,
        syncs_per_minute=1,
        uploads_per_minute=1,
    )
    org.plan = plan
    org.save(update_fields=["plan"])
    return plan


def test_every_response_carries_its_category_quota_and_a_429_says_when_to_retry(
    api, small_plan, raw_key
):
    before = int(time.time())
    responses = [
        api.get("/api/tokens", raw_key),
        api.get("/api/tokens/timeseries", raw_key, startDate="nope"),  # a 400 counts too
        api.get("/api/analytics", raw_key),
    ]
    assert [r.status_code for r in responses] == [200, 400, 200]
    assert [quota(r) for r in responses] == [("3", "2"), ("3", "1"), ("3", "0")]
    reset = int(responses[0].headers["X-RateLimit-Reset"])
    assert before < reset <= before + 60
    assert {r.headers["X-RateLimit-Reset"] for r in responses} == {str(reset)}

    limited = api.get("/api/tokens/burn-rate", raw_key)
    assert error(limited, 429, "RATE_LIMIT_EXCEEDED") == "Rate limit exceeded"
    assert quota(limited) == ("3", "0")
    retry_after = int(limited.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert abs(int(time.time()) + retry_after - reset) <= 2


def test_reads_and_writes_have_separate_budgets(api, small_plan, raw_key):
    for _ in range(3):
        api.get("/api/tokens", raw_key)
    assert api.get("/api/tokens", raw_key).status_code == 429

    tracked = api.post("/api/tokens/track", TRACK, raw_key)
    data(tracked)
    assert quota(tracked) == ("2", "1")
    assert quota(api.post("/api/ingest", {"tokens": []}, raw_key)) == ("2", "0")
    refused = api.post("/api/tokens/track", TRACK, raw_key)
    error(refused, 429, "RATE_LIMIT_EXCEEDED")
    assert UsageEvent.objects.count() == 1  # a refused write writes nothing


def test_sync_and_upload_paths_have_their_own_budgets(api, small_plan, raw_key):
    # Both sync endpoints share the sync budget (every /api/sync* path, unknown ones too).
    sync = api.post("/api/sync", {"providers": ["openai"]}, raw_key)
    data(sync)
    assert quota(sync) == ("1", "0")
    error(api.post("/api/sync-organization-usage", {}, raw_key), 429, "RATE_LIMIT_EXCEEDED")
    error(api.post("/api/sync/nope", {}, raw_key), 429, "RATE_LIMIT_EXCEEDED")

    # An upload without a file is refused, and still counted as an upload.
    upload = api.client.post("/api/receipts/ocr", {}, HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    error(upload, 400, "VALIDATION_ERROR")
    assert quota(upload) == ("1", "0")
    error(api.post("/api/receipts/ocr", {}, raw_key), 429, "RATE_LIMIT_EXCEEDED")

    assert quota(api.get("/api/tokens", raw_key)) == ("3", "2")
    assert quota(api.post("/api/tokens/track", TRACK, raw_key)) == ("2", "1")


def test_the_default_plan_has_the_seeds_limits(api, raw_key):
    assert quota(api.get("/api/tokens", raw_key)) == ("100", "99")
    assert quota(api.post("/api/tokens/track", TRACK, raw_key)) == ("30", "29")
    assert quota(api.post("/api/sync", {}, raw_key)) == ("10", "9")
    assert quota(api.post("/api/receipts/ocr", {}, raw_key)) == ("5", "4")


def test_every_plan_but_those_sold_starts_from_the_seeds_limits(org):
    # The default plan (acme's) among them; Indie and Pro, sold through Stripe, are a step
    # above (tests/billing/test_plans_for_sale.py).
    limits = Plan.objects.exclude(slug__in=["indie", "pro"]).values_list(
        "reads_per_minute", "writes_per_minute", "syncs_per_minute", "uploads_per_minute"
    )
    assert set(limits) == {(100, 30, 10, 5)}


def test_the_defaults_come_from_settings(api, settings, org):
    settings.DEFAULT_PLAN_READS_PER_MINUTE = 7
    settings.DEFAULT_PLAN_UPLOADS_PER_MINUTE = 2
    plan = Plan.objects.create(slug="new", name="New")
    assert (plan.reads_per_minute, plan.uploads_per_minute) == (7, 2)
    # A caller with no organization is held to the defaults.
    assert quota(api.get("/api/tokens")) == ("7", "6")


def test_a_plan_change_reaches_the_limiter(api, org, small_plan, raw_key):
    assert quota(api.get("/api/tokens", raw_key)) == ("3", "2")
    small_plan.reads_per_minute = 50
    small_plan.save()
    cache.delete(f"plan-minute-limits:{org.pk}")  # what the minute's cache expiry does
    assert quota(api.get("/api/tokens", raw_key)) == ("50", "48")


def test_each_organization_has_its_own_counter(api, small_plan, raw_key, outsider_key):
    for _ in range(3):
        api.get("/api/tokens", raw_key)
    assert api.get("/api/tokens", raw_key).status_code == 429
    outsider = api.get("/api/tokens", outsider_key)
    data(outsider)
    assert quota(outsider) == ("100", "99")


def test_every_key_and_member_of_an_organization_share_its_budget(
    api, org, small_plan, raw_key, member_client
):
    second = tenancy.api_key_create(organization=org, name="second").raw_key
    api.get("/api/tokens", raw_key)
    api.get("/api/tokens", second)
    assert quota(member_client.get("/api/tokens")) == ("3", "0")


def test_errors_carry_the_headers_too(api, org, small_plan, raw_key):
    read_key = tenancy.api_key_create(organization=org, name="r", scope=ApiKeyScope.READ)
    refused = api.post("/api/tokens/track", TRACK, read_key.raw_key)
    error(refused, 403, "AUTHORIZATION_ERROR")
    assert quota(refused) == ("2", "1")
    wrong_method = api.client.delete("/api/tokens", HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    error(wrong_method, 405, "VALIDATION_ERROR")
    assert quota(wrong_method) == ("2", "0")


def test_callers_without_a_valid_key_are_counted_by_address(api, settings, small_plan, raw_key):
    settings.DEFAULT_PLAN_READS_PER_MINUTE = 2
    first = api.get("/api/tokens", "mtt_" + "x" * 40)
    error(first, 401, "AUTHENTICATION_ERROR")
    assert quota(first) == ("2", "1")
    error(api.get("/api/tokens"), 401, "AUTHENTICATION_ERROR")
    error(api.get("/api/tokens"), 429, "RATE_LIMIT_EXCEEDED")
    # Another address, and the organization's own budget, are untouched.
    other = api.client.get("/api/tokens", REMOTE_ADDR="198.51.100.7")
    assert quota(other) == ("2", "1")
    assert quota(api.get("/api/tokens", raw_key)) == ("3", "2")


def test_a_cache_outage_lets_requests_through(api, small_plan, raw_key):
    broken = ConnectionError("cache down")
    with (
        mock.patch.object(cache, "get", side_effect=broken),
        mock.patch.object(cache, "set", side_effect=broken),
        mock.patch.object(cache, "add", side_effect=broken),
        mock.patch.object(cache, "incr", side_effect=broken),
    ):
        responses = [api.get("/api/tokens", raw_key) for _ in range(5)]
    assert [r.status_code for r in responses] == [200] * 5
    assert quota(responses[-1]) == ("3", "3")  # nothing could be counted


def test_rate_limiting_can_be_switched_off(api, small_plan, raw_key, settings):
    settings.RATE_LIMIT_ENABLED = False
    for _ in range(5):
        response = api.get("/api/tokens", raw_key)
        assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response.headers
