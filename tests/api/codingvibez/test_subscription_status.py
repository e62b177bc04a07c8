"""CodingVibez `GET /api/subscription-status`: the plan in force, the Stripe subscription as
its webhooks left it, the plan's quotas and their use; with billing on or off."""

from datetime import UTC, date, datetime

import pytest

from billing.models import SubscriptionStatus
from tests.factories import BillingAccountFactory
from tokentracker.models import ApiKeyScope, Plan, Role
from tokentracker.services import api_key_create, live_quota_consume, quota_consume

from .helpers import data, error

pytestmark = pytest.mark.django_db

URL = "/api/subscription-status"
NOW = "2026-03-20T12:00:00Z"
DEFAULT_QUOTAS = {
    "dailyEvents": 10_000_000,
    "hourlyRequests": 100_000,
    "perMinute": {"reads": 100, "writes": 30, "syncs": 10, "uploads": 5},
    "freeLiveEventsPerMonth": None,
}


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def unused(day: str = "2026-03-20", month: str = "2026-03") -> dict:
    return {
        "day": day,
        "eventsToday": 0,
        "month": month,
        "liveEventsThisMonth": 0,
        "requestsThisHour": [{"surface": "Tokenwise", "requests": 0}],
    }


@pytest.fixture
def pro(org):
    """acme on Pro (with a free live allowance an admin gave it) and an active monthly
    subscription."""
    plan = Plan.objects.get(slug="pro")
    plan.free_live_events_per_month = 5_000
    plan.save()
    org.plan = plan
    org.save(update_fields=["plan"])
    return BillingAccountFactory(
        organization=org,
        stripe_subscription_id="sub_test1",
        subscription_status=SubscriptionStatus.ACTIVE,
        subscribed_plan=plan,
        stripe_price_id="price_pro_monthly",
        current_period_start=moment("2026-03-01T09:30:00Z"),
        current_period_end=moment("2026-04-01T09:30:00Z"),
    )


def test_a_pro_subscription_is_shown_with_its_quotas_and_this_periods_use(
    api, org, outsider_org, raw_key, pro, freeze
):
    freeze(NOW)
    quota_consume(organization_id=org.id, events=1_234)
    quota_consume(organization_id=org.id, events=99, day=date(2026, 3, 19))  # yesterday
    live_quota_consume(organization_id=org.id, events=42)
    live_quota_consume(organization_id=org.id, events=7, month=date(2026, 2, 1))
    quota_consume(organization_id=outsider_org.id, events=5_000)
    assert data(api.get(URL, raw_key)) == {
        "plan": {"slug": "pro", "name": "Pro"},
        "status": "active",
        "currentPeriod": {"start": "2026-03-01T09:30:00Z", "end": "2026-04-01T09:30:00Z"},
        "cancelAtPeriodEnd": False,
        "gracePeriodEndsAt": None,
        "quotas": {
            "dailyEvents": 1_000_000,
            "hourlyRequests": 10_000,
            "perMinute": {"reads": 500, "writes": 150, "syncs": 50, "uploads": 25},
            "freeLiveEventsPerMonth": 5_000,
        },
        "usage": {
            "day": "2026-03-20",
            "eventsToday": 1_234,
            "month": "2026-03",
            "liveEventsThisMonth": 42,
            "requestsThisHour": [{"surface": "Tokenwise", "requests": 0}],
        },
        "billingEnabled": False,
    }


def test_an_organization_that_never_subscribed_has_its_plan_and_status_none(api, raw_key, freeze):
    freeze(NOW)
    assert data(api.get(URL, raw_key)) == {
        "plan": {"slug": "self-hosted", "name": "Self-hosted"},
        "status": "none",
        "currentPeriod": None,
        "cancelAtPeriodEnd": False,
        "gracePeriodEndsAt": None,
        "quotas": DEFAULT_QUOTAS,
        "usage": unused(),
        "billingEnabled": False,
    }


def test_billing_is_enabled_only_with_both_stripe_secrets(api, raw_key, settings):
    # No Stripe call is made: the API base stays a closed port (tests/conftest.py).
    settings.STRIPE_SECRET_KEY = "sk_test_configured"
    assert data(api.get(URL, raw_key))["billingEnabled"] is False
    settings.STRIPE_WEBHOOK_SECRET = "whsec_configured"
    assert data(api.get(URL, raw_key))["billingEnabled"] is True
    settings.STRIPE_SECRET_KEY = ""
    assert data(api.get(URL, raw_key))["billingEnabled"] is False


def test_past_due_keeps_the_paid_plan_and_says_when_the_grace_ends(
    api, raw_key, pro, freeze, settings
):
    freeze(NOW)
    settings.STRIPE_PAST_DUE_GRACE_DAYS = 7
    pro.subscription_status = SubscriptionStatus.PAST_DUE
    pro.past_due_since = moment("2026-03-18T08:15:00Z")
    pro.save()
    body = data(api.get(URL, raw_key))
    assert (body["plan"]["slug"], body["status"]) == ("pro", "past_due")
    assert body["gracePeriodEndsAt"] == "2026-03-25T08:15:00Z"


def test_a_grace_end_is_shown_only_while_past_due(api, raw_key, pro):
    # A payment that succeeded after a failure: the date of the failure no longer counts.
    pro.past_due_since = moment("2026-03-18T08:15:00Z")
    pro.save()
    assert data(api.get(URL, raw_key))["gracePeriodEndsAt"] is None


def test_a_cancellation_at_period_end_keeps_the_plan_and_says_so(api, raw_key, pro):
    pro.cancel_at_period_end = True
    pro.save()
    body = data(api.get(URL, raw_key))
    assert (body["plan"]["slug"], body["status"], body["cancelAtPeriodEnd"]) == (
        "pro",
        "active",
        True,
    )
    assert body["currentPeriod"]["end"] == "2026-04-01T09:30:00Z"


def test_a_canceled_subscription_shows_the_plan_the_organization_fell_to(api, org, raw_key, pro):
    org.plan = Plan.objects.get(slug="self-hosted")
    org.save(update_fields=["plan"])
    pro.subscription_status = SubscriptionStatus.CANCELED
    pro.save()
    body = data(api.get(URL, raw_key))
    assert (body["plan"], body["status"], body["quotas"]) == (
        {"slug": "self-hosted", "name": "Self-hosted"},
        "canceled",
        DEFAULT_QUOTAS,
    )


def test_this_hours_tokenwise_reads_are_counted(api, org, raw_key):
    tokenwise_key = api_key_create(organization=org, name="tw", prefix="tw_api_").raw_key
    for _ in range(3):
        assert api.get("/api/v1/public/requests", tokenwise_key).status_code == 200
    assert data(api.get(URL, raw_key))["usage"]["requestsThisHour"] == [
        {"surface": "Tokenwise", "requests": 3}
    ]


def test_without_a_key_or_with_a_bad_one_it_is_a_401(api, pro):
    error(api.get(URL), 401, "AUTHENTICATION_ERROR")
    error(api.get(URL, "isv_live_sk_" + "x" * 40), 401, "AUTHENTICATION_ERROR")


def test_another_organizations_key_reads_its_own_plan_only(api, outsider_key, pro, freeze):
    freeze(NOW)
    body = data(api.get(URL, outsider_key))
    assert (body["plan"]["slug"], body["status"], body["currentPeriod"]) == (
        "self-hosted",
        "none",
        None,
    )


def test_a_member_of_another_organization_reads_that_one(client, outsider_org, pro, sign_in):
    sign_in(outsider_org, Role.OWNER)
    assert data(client.get(URL))["status"] == "none"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEMBER, Role.OWNER])
def test_every_member_reads_it(client, org, pro, sign_in, role):
    sign_in(org, role)
    assert data(client.get(URL))["plan"]["slug"] == "pro"


def test_a_read_only_key_reads_it(api, org, pro):
    key = api_key_create(organization=org, name="ro", scope=ApiKeyScope.READ).raw_key
    assert data(api.get(URL, key))["status"] == "active"


def test_someone_signed_in_without_an_organization_is_refused(client, pro):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    error(client.get(URL), 403, "AUTHORIZATION_ERROR")


def test_it_costs_a_fixed_number_of_queries(api, raw_key, pro, django_assert_num_queries):
    api.get(URL, raw_key)  # warm the key and plan-limit caches
    # The organization with its plan, its billing account, today's and this month's counts.
    with django_assert_num_queries(4):
        data(api.get(URL, raw_key))


def test_it_is_documented_in_the_schema(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"][URL]["get"]
    assert operation["operationId"] == "codingvibez_subscription_status"
    assert operation["tags"] == ["codingvibez"]
    assert set(operation["responses"]) == {"200", "401", "403", "429"}
