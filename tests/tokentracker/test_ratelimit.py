"""tokentracker.ratelimit: fixed hourly windows counted atomically in the shared cache."""

from unittest import mock

import pytest
from django.core.cache import cache

from tokentracker.api.ratelimit import RateLimitExceeded
from tokentracker.models import Plan
from tokentracker.ratelimit import (
    plan_hourly_limit,
    rate_limit_hit,
    window_bounds,
)

NOW = 1_790_000_000


def test_a_window_is_an_hour_long_and_holds_now():
    for subject in ("1", "2", "42"):
        start, end = window_bounds(subject, NOW)
        assert end - start == 3600
        assert start <= NOW < end


def test_organizations_windows_are_staggered_but_stable():
    assert window_bounds("1", NOW) == window_bounds("1", NOW + 10)
    assert len({window_bounds(str(org), NOW)[0] for org in range(20)}) > 1


def test_counts_up_to_the_limit_then_exceeds():
    usages = [rate_limit_hit(scope="t", subject="7", limit=2, now=NOW) for _ in range(3)]
    assert [(u.count, u.remaining, u.exceeded) for u in usages] == [
        (1, 1, False),
        (2, 0, False),
        (3, 0, True),
    ]
    _, end = window_bounds("7", NOW)
    assert usages[-1].headers() == {
        "X-RateLimit-Limit": "2",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(end),
    }
    assert usages[-1].retry_after == end - NOW


def test_the_next_window_starts_from_zero():
    _, end = window_bounds("7", NOW)
    for _ in range(3):
        rate_limit_hit(scope="t", subject="7", limit=2, now=NOW)
    assert rate_limit_hit(scope="t", subject="7", limit=2, now=end).count == 1


def test_scopes_and_subjects_count_apart():
    rate_limit_hit(scope="a", subject="1", limit=5, now=NOW)
    assert rate_limit_hit(scope="b", subject="1", limit=5, now=NOW).count == 1
    assert rate_limit_hit(scope="a", subject="2", limit=5, now=NOW).count == 1


def test_an_unreachable_cache_fails_open():
    with mock.patch.object(cache, "add", side_effect=ConnectionError("down")):
        usage = rate_limit_hit(scope="t", subject="7", limit=1, now=NOW)
    assert (usage.count, usage.exceeded, usage.remaining) == (None, False, 1)


def test_a_counter_that_expires_between_add_and_incr_restarts_at_one():
    with (
        mock.patch.object(cache, "add", side_effect=[False, True]),
        mock.patch.object(cache, "incr", side_effect=ValueError("gone")),
    ):
        assert rate_limit_hit(scope="t", subject="7", limit=1, now=NOW).count == 1


def test_the_429_error_carries_retry_after_for_the_exception_handler():
    usage = rate_limit_hit(scope="t", subject="7", limit=0, now=NOW)
    error = RateLimitExceeded(usage)
    assert (error.status_code, error.message, error.wait) == (
        429,
        "Rate limit exceeded",
        usage.retry_after,
    )


@pytest.mark.django_db
def test_the_plan_limit_is_read_once_and_cached(org, django_assert_num_queries):
    org.plan = Plan.objects.create(slug="small", name="Small", hourly_request_limit=12)
    org.save()
    with django_assert_num_queries(1):
        assert plan_hourly_limit(org.pk) == 12
        assert plan_hourly_limit(org.pk) == 12
