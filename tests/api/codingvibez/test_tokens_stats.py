"""GET /api/tokens/stats: a provider's (or every provider's) month: the budget it is held
to, its projection and its usage."""

import pytest

from billing.models import Budget

from .helpers import data, error
from .spend import as_json, budgets, engine

URL = "/api/tokens/stats"
pytestmark = pytest.mark.django_db


def test_a_provider_with_its_own_budget_is_held_to_it(api, org, raw_key, march):
    made = budgets(org)
    expected = engine("1.5", fixed=10)
    assert data(api.get(URL, raw_key, provider="openai")) == {
        "provider": "openai",
        "currency": "USD",
        "month": "2026-03",
        "budget": {
            "id": str(made["OpenAI"].pk),
            "name": "OpenAI",
            "scope": "service",
            "limit": 50.0,
            "used": 39.25,  # 19.5 days at 1.50 and March's 10 of manual costs
            "remaining": 10.75,
            "unconverted": {},
            "problem": None,
        },
        "projections": {
            "endOfMonth": 56.5,  # and 11.5 more days at 1.50
            "trend": "stable",
            "low": as_json(expected.low),
            "high": as_json(expected.high),
            "confidence": expected.confidence,
        },
        "usage": {
            "totalTokens": 22300,  # 20 calls of 1,100 and the unpriced one's 300
            "totalCost": 29.25,  # API usage only: the manual 10 is in budget.used
            "requests": 21,
            "unpricedRequests": 1,
        },
    }


def test_a_provider_without_a_budget_is_held_to_the_tightest_organization_budget(
    api, org, raw_key, march
):
    made = budgets(org)
    expected = engine("0.5")
    stats = data(api.get(URL, raw_key, provider="Anthropic"))
    assert stats["provider"] == "anthropic"
    assert stats["budget"] == {
        "id": str(made["Tight"].pk),
        "name": "Tight",
        "scope": "organization",
        "limit": 70.0,
        "used": 49.0,  # the organization's spend: that is what this budget counts
        "remaining": 21.0,
        "unconverted": {"EUR": 40.0},
        "problem": None,
    }
    assert stats["projections"] == {
        "endOfMonth": 15.5,
        "trend": "stable",
        "low": as_json(expected.low),
        "high": as_json(expected.high),
        "confidence": expected.confidence,
    }
    assert stats["usage"] == {
        "totalTokens": 5000,
        "totalCost": 9.75,
        "requests": 20,
        "unpricedRequests": 0,
    }


def test_without_a_provider_it_is_the_whole_organization(api, org, raw_key, march):
    budgets(org)
    stats = data(api.get(URL, raw_key))
    assert stats["provider"] is None
    assert (stats["budget"]["name"], stats["budget"]["used"]) == ("Tight", 49.0)
    assert stats["projections"]["endOfMonth"] == 72.0
    assert stats["usage"] == {
        "totalTokens": 27300,
        "totalCost": 39.0,
        "requests": 41,
        "unpricedRequests": 1,
    }


def test_with_no_budget_at_all_limit_and_remaining_are_null(api, org, raw_key, march):
    stats = data(api.get(URL, raw_key, provider="anthropic"))
    assert stats["budget"] == {
        "id": None,
        "name": None,
        "scope": None,
        "limit": None,
        "used": 9.75,  # the provider's month: its 40 EUR wait for a rate
        "remaining": None,
        "unconverted": {"EUR": 40.0},
        "problem": None,
    }


def test_a_service_with_no_spend_projects_zero(api, org, raw_key, march):
    stats = data(api.get(URL, raw_key, provider="google"))
    assert stats["projections"] == {
        "endOfMonth": 0.0,
        "trend": "stable",
        "low": 0.0,
        "high": 0.0,
        "confidence": 0.0,
    }
    assert stats["usage"] == {
        "totalTokens": 0,
        "totalCost": 0.0,
        "requests": 0,
        "unpricedRequests": 0,
    }


@pytest.mark.parametrize("provider", ["openrouter", "open ai", "x" * 100])
def test_a_provider_outside_the_thirteen_services_is_a_validation_error(
    api, org, raw_key, provider
):
    message = error(api.get(URL, raw_key, provider=provider), 400, "VALIDATION_ERROR")
    assert message == (
        "provider: must be one of openai, anthropic, google, aws, gcp, azure, vercel, "
        "supabase, cursor, github, lovable, kiro, replit"
    )


def test_an_empty_organization_has_zeros_and_no_budget(api, raw_key, freeze):
    freeze("2026-03-20T12:00:00Z")
    stats = data(api.get(URL, raw_key))
    assert stats["budget"]["limit"] is None
    assert stats["budget"]["used"] == 0.0
    assert stats["projections"]["endOfMonth"] == 0.0
    assert stats["usage"]["totalTokens"] == 0


def test_without_a_key_it_is_an_authentication_error(api):
    error(api.get(URL), 401, "AUTHENTICATION_ERROR")
    error(api.get(URL, provider="openai"), 401, "AUTHENTICATION_ERROR")


def test_an_outsiders_key_sees_only_its_own_organization(api, org, outsider_key, march):
    budgets(org)
    Budget.objects.create(
        organization=org,
        name="Anthropic",
        scope="service",
        service="anthropic",
        amount=1,
        currency="USD",
    )
    stats = data(api.get(URL, outsider_key, provider="openai"))
    assert stats["budget"]["id"] is None
    assert stats["budget"]["used"] == 100.0
    assert stats["usage"] == {
        "totalTokens": 7,
        "totalCost": 100.0,
        "requests": 1,
        "unpricedRequests": 0,
    }


def test_a_viewer_member_reads_it_with_a_session(viewer_client, org, march):
    assert data(viewer_client.get(URL, {"provider": "openai"}))["usage"]["requests"] == 21
