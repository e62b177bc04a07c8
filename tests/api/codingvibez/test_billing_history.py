"""CodingVibez `GET /api/billing-history`: the invoices Stripe issued the organization,
newest first, paged with limit and offset."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.factories import InvoiceFactory
from tokentracker.models import ApiKeyScope, Role
from tokentracker.services import api_key_create

from .helpers import data, error

pytestmark = pytest.mark.django_db

URL = "/api/billing-history"


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@pytest.fixture
def invoices(org, outsider_org):
    """Three months of Pro at $20 (March's payment failed), a yen invoice, and the
    outsider's own invoice."""
    made = {
        month: InvoiceFactory(
            organization=org,
            stripe_invoice_id=f"in_{month}",
            number=f"ACME-{number:04d}",
            issued_at=moment(f"2026-{number:02d}-01T09:30:00Z"),
            period_start=moment(f"2026-{number:02d}-01T09:30:00Z"),
            period_end=moment(f"2026-{number + 1:02d}-01T09:30:00Z"),
        )
        for number, month in ((1, "january"), (2, "february"), (3, "march"))
    }
    march = made["march"]
    march.status, march.amount_paid = "open", Decimal("0.00")
    march.save()
    made["yen"] = InvoiceFactory(
        organization=org,
        stripe_invoice_id="in_yen",
        number="",
        status="draft",
        amount_due=Decimal("3000"),
        amount_paid=Decimal("0"),
        currency="jpy",
        issued_at=moment("2026-03-15T00:00:00Z"),
        hosted_invoice_url="",
        invoice_pdf="",
    )
    InvoiceFactory(organization=outsider_org, stripe_invoice_id="in_outsider")
    return made


def listed(body: dict) -> list[str]:
    return [invoice["id"] for invoice in body["invoices"]]


def stripe_invoice(month: str, number: int, status: str, paid: float) -> dict:
    """How a $20 Pro invoice of `InvoiceFactory` answers."""
    return {
        "id": f"in_{month}",
        "number": f"ACME-{number:04d}",
        "date": f"2026-{number:02d}-01T09:30:00Z",
        "amount": 20.0,
        "amountPaid": paid,
        "currency": "USD",
        "status": status,
        "periodStart": f"2026-{number:02d}-01T09:30:00Z",
        "periodEnd": f"2026-{number + 1:02d}-01T09:30:00Z",
        "hostedInvoiceUrl": f"https://invoice.stripe.com/i/in_{month}",
        "invoicePdf": f"https://pay.stripe.com/invoice/in_{month}/pdf",
    }


def test_the_invoices_are_listed_newest_first_with_their_links(api, raw_key, invoices):
    assert data(api.get(URL, raw_key)) == {
        "invoices": [
            # A draft in a zero-decimal currency: no number and no links yet.
            {
                "id": "in_yen",
                "number": None,
                "date": "2026-03-15T00:00:00Z",
                "amount": 3000.0,
                "amountPaid": 0.0,
                "currency": "JPY",
                "status": "draft",
                "periodStart": None,
                "periodEnd": None,
                "hostedInvoiceUrl": None,
                "invoicePdf": None,
            },
            stripe_invoice("march", 3, "open", 0.0),
            stripe_invoice("february", 2, "paid", 20.0),
            stripe_invoice("january", 1, "paid", 20.0),
        ],
        "pagination": {"limit": 100, "offset": 0, "total": 4, "hasMore": False},
    }


@pytest.mark.parametrize(
    ("page", "ids", "has_more"),
    [
        ({"limit": "2"}, ["in_yen", "in_march"], True),
        ({"limit": "2", "offset": "2"}, ["in_february", "in_january"], False),
        ({"limit": "1", "offset": "3"}, ["in_january"], False),
        ({"offset": "4"}, [], False),
        ({"offset": "1000"}, [], False),
    ],
)
def test_pages_follow_limit_and_offset(api, raw_key, invoices, page, ids, has_more):
    body = data(api.get(URL, raw_key, **page))
    assert listed(body) == ids
    assert body["pagination"] == {
        "limit": int(page.get("limit", 100)),
        "offset": int(page.get("offset", 0)),
        "total": 4,
        "hasMore": has_more,
    }


@pytest.mark.parametrize(
    ("page", "message"),
    [
        ({"limit": "0"}, "limit: must be a whole number from 1 to 500"),
        ({"limit": "501"}, "limit: must be a whole number from 1 to 500"),
        ({"limit": "ten"}, "limit: must be a whole number from 1 to 500"),
        ({"offset": "-1"}, "offset: must be a whole number from 0 to 1000000000"),
        ({"offset": "1.5"}, "offset: must be a whole number from 0 to 1000000000"),
    ],
)
def test_a_bad_page_is_a_400_naming_the_parameter(api, raw_key, invoices, page, message):
    assert error(api.get(URL, raw_key, **page), 400, "VALIDATION_ERROR") == message


def test_without_any_invoice_the_history_is_empty(api, raw_key):
    # Billing is off in the suite unless a test configures it: the read answers anyway.
    assert data(api.get(URL, raw_key)) == {
        "invoices": [],
        "pagination": {"limit": 100, "offset": 0, "total": 0, "hasMore": False},
    }


def test_without_a_key_it_is_a_401(api, invoices):
    error(api.get(URL), 401, "AUTHENTICATION_ERROR")
    error(api.get(URL, "isv_live_sk_" + "x" * 40), 401, "AUTHENTICATION_ERROR")


def test_another_organizations_key_sees_only_its_own_invoice(api, outsider_key, invoices):
    assert listed(data(api.get(URL, outsider_key))) == ["in_outsider"]


def test_a_member_of_another_organization_sees_only_that_ones(
    client, outsider_org, invoices, sign_in
):
    sign_in(outsider_org, Role.OWNER)
    assert listed(data(client.get(URL))) == ["in_outsider"]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEMBER, Role.ADMIN])
def test_every_member_reads_it(client, org, invoices, sign_in, role):
    sign_in(org, role)
    assert data(client.get(URL))["pagination"]["total"] == 4


def test_a_read_only_key_reads_it(api, org, invoices):
    key = api_key_create(organization=org, name="ro", scope=ApiKeyScope.READ).raw_key
    assert data(api.get(URL, key))["pagination"]["total"] == 4


def test_a_page_costs_a_fixed_number_of_queries(api, org, raw_key, django_assert_num_queries):
    InvoiceFactory.create_batch(30, organization=org)
    api.get(URL, raw_key)  # warm the key and plan-limit caches
    # The organization, the count, the page.
    with django_assert_num_queries(3):
        assert len(data(api.get(URL, raw_key, limit="25"))["invoices"]) == 25


def test_it_is_documented_in_the_schema(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"][URL]["get"]
    assert operation["operationId"] == "codingvibez_billing_history"
    assert {p["name"] for p in operation["parameters"]} == {"limit", "offset"}
    assert set(operation["responses"]) == {"200", "400", "401", "403", "429"}
