"""`GET /api/v1/billing/subscription` and `GET /api/v1/billing/invoices`: the plan, its
Stripe subscription, quota use and the invoices, scoped to the caller's organization."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing.models import SubscriptionStatus
from tests.factories import BillingAccountFactory, InvoiceFactory, UserFactory
from tokentracker.models import ApiKeyScope, Plan, Role
from tokentracker.services import api_key_create, live_quota_consume, quota_consume

pytestmark = pytest.mark.django_db

SUBSCRIPTION = "/api/v1/billing/subscription"
INVOICES = "/api/v1/billing/invoices"
NOW = "2026-03-20T12:00:00Z"
UNAUTHORIZED = {
    "error": {"code": "UNAUTHORIZED", "message": "Invalid or missing API token", "details": {}}
}


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@pytest.fixture
def past_due(org):
    """acme on Pro, past due since 18 March 08:15 with the default seven days of grace."""
    plan = Plan.objects.get(slug="pro")
    org.plan = plan
    org.save(update_fields=["plan"])
    return BillingAccountFactory(
        organization=org,
        stripe_customer_id="cus_acme",
        stripe_subscription_id="sub_acme",
        subscription_status=SubscriptionStatus.PAST_DUE,
        subscribed_plan=plan,
        stripe_price_id="price_pro_monthly",
        current_period_start=moment("2026-03-01T09:30:00Z"),
        current_period_end=moment("2026-04-01T09:30:00Z"),
        past_due_since=moment("2026-03-18T08:15:00Z"),
    )


def test_the_subscription_is_one_object_with_quotas_and_use(
    client, org, outsider_org, raw_key, past_due, freeze
):
    freeze(NOW)
    quota_consume(organization_id=org.id, events=250)
    live_quota_consume(organization_id=org.id, events=3)
    quota_consume(organization_id=outsider_org.id, events=9)
    response = client.get(SUBSCRIPTION, **auth(raw_key))
    assert response.status_code == 200, response.content
    assert response.json() == {
        "plan": {"slug": "pro", "name": "Pro"},
        "status": "past_due",
        "current_period_start": "2026-03-01T09:30:00Z",
        "current_period_end": "2026-04-01T09:30:00Z",
        "cancel_at_period_end": False,
        "grace_ends_at": "2026-03-25T08:15:00Z",
        "has_customer": True,
        "billing_enabled": False,
        "quotas": {
            "daily_event_limit": 1_000_000,
            "hourly_request_limit": 10_000,
            "reads_per_minute": 500,
            "writes_per_minute": 150,
            "syncs_per_minute": 50,
            "uploads_per_minute": 25,
            "free_live_events_per_month": None,
        },
        "usage": {
            "day": "2026-03-20",
            "events_today": 250,
            "month": "2026-03-01",
            "live_events_this_month": 3,
            "requests_this_hour": [{"surface": "Tokenwise", "requests": 0}],
        },
    }


def test_without_a_customer_the_status_is_none(client, raw_key, settings, freeze):
    freeze(NOW)
    settings.STRIPE_SECRET_KEY = "sk_test_configured"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_configured"
    body = client.get(SUBSCRIPTION, **auth(raw_key)).json()
    assert {name: body[name] for name in body if name not in ("quotas", "usage")} == {
        "plan": {"slug": "self-hosted", "name": "Self-hosted"},
        "status": "none",
        "current_period_start": None,
        "current_period_end": None,
        "cancel_at_period_end": False,
        "grace_ends_at": None,
        "has_customer": False,
        "billing_enabled": True,
    }


def test_another_organizations_key_reads_its_own_subscription(client, outsider_key, past_due):
    body = client.get(SUBSCRIPTION, **auth(outsider_key)).json()
    assert (body["plan"]["slug"], body["status"], body["has_customer"]) == (
        "self-hosted",
        "none",
        False,
    )


def test_without_a_key_both_are_a_401(client, past_due):
    for url in (SUBSCRIPTION, INVOICES):
        response = client.get(url)
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OWNER])
def test_members_read_both(client, org, past_due, sign_in, role):
    InvoiceFactory(organization=org)
    sign_in(org, role)
    assert client.get(SUBSCRIPTION).json()["status"] == "past_due"
    assert len(client.get(INVOICES).json()["results"]) == 1


def test_a_read_only_key_reads_both(client, org, past_due):
    key = api_key_create(organization=org, name="ro", scope=ApiKeyScope.READ).raw_key
    assert client.get(SUBSCRIPTION, **auth(key)).status_code == 200
    assert client.get(INVOICES, **auth(key)).status_code == 200


def test_someone_in_no_organization_is_refused(client, past_due):
    client.force_login(UserFactory())
    assert client.get(SUBSCRIPTION).status_code == 403
    assert client.get(INVOICES).status_code == 403


def test_the_subscription_costs_a_fixed_number_of_queries(
    client, raw_key, past_due, django_assert_num_queries
):
    client.get(SUBSCRIPTION, **auth(raw_key))  # warm the key cache
    # The organization with its plan, its billing account, today's and this month's counts.
    with django_assert_num_queries(4):
        assert client.get(SUBSCRIPTION, **auth(raw_key)).status_code == 200


# --- invoices -------------------------------------------------------------------------------


@pytest.fixture
def invoices(org, outsider_org):
    made = [
        InvoiceFactory(
            organization=org,
            stripe_invoice_id=f"in_{day:02d}",
            number=f"ACME-{day:04d}",
            issued_at=moment(f"2026-03-{day:02d}T09:30:00Z"),
        )
        for day in range(1, 6)
    ]
    InvoiceFactory(organization=outsider_org, stripe_invoice_id="in_outsider")
    return made


def ids(page: dict) -> list[str]:
    return [invoice["stripe_invoice_id"] for invoice in page["results"]]


def test_the_invoices_are_listed_newest_first(client, raw_key, invoices):
    body = client.get(INVOICES, **auth(raw_key)).json()
    assert ids(body) == ["in_05", "in_04", "in_03", "in_02", "in_01"]
    assert (body["next"], body["previous"]) == (None, None)
    assert body["results"][0] == {
        "stripe_invoice_id": "in_05",
        "number": "ACME-0005",
        "status": "paid",
        "amount_due": 20.0,
        "amount_paid": 20.0,
        "currency": "USD",
        "issued_at": "2026-03-05T09:30:00Z",
        "period_start": None,
        "period_end": None,
        "hosted_invoice_url": "https://invoice.stripe.com/i/in_05",
        "invoice_pdf": "https://pay.stripe.com/invoice/in_05/pdf",
    }


def test_a_draft_has_no_number_and_no_links_yet(client, org, raw_key):
    InvoiceFactory(
        organization=org,
        number="",
        status="draft",
        amount_due=Decimal("3000"),
        amount_paid=Decimal("0"),
        currency="jpy",
        hosted_invoice_url="",
        invoice_pdf="",
    )
    (draft,) = client.get(INVOICES, **auth(raw_key)).json()["results"]
    assert (draft["number"], draft["hosted_invoice_url"], draft["invoice_pdf"]) == (
        None,
        None,
        None,
    )
    assert (draft["amount_due"], draft["amount_paid"], draft["currency"]) == (3000.0, 0.0, "JPY")


def test_the_invoices_are_paged_by_cursor(client, raw_key, invoices):
    first = client.get(INVOICES, {"limit": 2}, **auth(raw_key)).json()
    assert ids(first) == ["in_05", "in_04"]
    second = client.get(first["next"], **auth(raw_key)).json()
    assert ids(second) == ["in_03", "in_02"]
    third = client.get(second["next"], **auth(raw_key)).json()
    assert (ids(third), third["next"]) == (["in_01"], None)


@pytest.mark.parametrize("limit", ["0", "501", "ten", "-1"])
def test_a_bad_limit_is_a_422_naming_it(client, raw_key, invoices, limit):
    response = client.get(INVOICES, {"limit": limit}, **auth(raw_key))
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {
        "limit": ["must be a whole number from 1 to 500"]
    }


def test_a_bad_cursor_is_a_404(client, raw_key, invoices):
    response = client.get(INVOICES, {"cursor": "zzz"}, **auth(raw_key))
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Invalid cursor"


def test_another_organizations_key_sees_only_its_own_invoices(client, outsider_key, invoices):
    assert ids(client.get(INVOICES, **auth(outsider_key)).json()) == ["in_outsider"]


def test_without_invoices_the_list_is_empty(client, raw_key):
    assert client.get(INVOICES, **auth(raw_key)).json() == {
        "next": None,
        "previous": None,
        "results": [],
    }


def test_a_page_costs_a_fixed_number_of_queries(client, org, raw_key, django_assert_num_queries):
    InvoiceFactory.create_batch(30, organization=org, issued_at=moment(NOW))
    client.get(INVOICES, **auth(raw_key))  # warm the key cache
    with django_assert_num_queries(2):  # the organization, the page
        assert len(client.get(INVOICES, {"limit": 25}, **auth(raw_key)).json()["results"]) == 25


def test_both_are_documented(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    subscription = schema["paths"][SUBSCRIPTION]["get"]
    assert subscription["operationId"] == "billing_subscription"
    body = subscription["responses"]["200"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/BillingSubscription"}  # one object
    invoices = schema["paths"][INVOICES]["get"]
    assert {p["name"] for p in invoices["parameters"]} == {"cursor", "limit"}
    listed = invoices["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed == {"$ref": "#/components/schemas/PaginatedInvoiceList"}
