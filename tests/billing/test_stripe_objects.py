"""Stripe's amounts in major units (its own list of zero- and three-decimal currencies), and
the facts read from its objects in either API version's shape."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing.payments.amounts import stripe_amount_major
from billing.payments.objects import (
    StripeObjectMalformed,
    checkout_facts,
    invoice_facts,
    subscription_facts,
)


@pytest.mark.parametrize(
    ("amount", "currency", "major"),
    [
        (2000, "usd", Decimal("20.00")),
        (1999, "eur", Decimal("19.99")),
        (2000, "jpy", Decimal("2000")),
        (2000, "JPY", Decimal("2000")),
        (500, "krw", Decimal("500")),
        (500, "ugx", Decimal("500")),
        (12340, "kwd", Decimal("12.340")),
        (1000, "bhd", Decimal("1.000")),
        # Zero-decimal in ISO 4217, two decimals at Stripe (backward compatibility).
        (50000, "isk", Decimal("500.00")),
        (0, "usd", Decimal("0.00")),
    ],
)
def test_an_amount_is_divided_by_the_currencys_unit_at_stripe(amount, currency, major):
    converted = stripe_amount_major(amount, currency)
    assert converted == major
    assert converted.as_tuple().exponent == major.as_tuple().exponent


NEW_SUBSCRIPTION = {  # API 2025-03-31 and later: price and period on the items
    "id": "sub_1",
    "object": "subscription",
    "customer": {"id": "cus_1", "object": "customer"},
    "status": "trialing",
    "cancel_at_period_end": True,
    "items": {
        "object": "list",
        "data": [
            {
                "id": "si_1",
                "price": {"id": "price_pro", "object": "price"},
                "current_period_start": 1_790_000_000,
                "current_period_end": 1_792_592_000,
            }
        ],
    },
}
OLD_SUBSCRIPTION = {  # earlier versions, and localstripe: plan, and the period on top
    "id": "sub_2",
    "object": "subscription",
    "customer": "cus_2",
    "status": "active",
    "current_period_start": 1_790_000_000,
    "current_period_end": 1_792_592_000,
    "items": {"data": [{"id": "si_2", "plan": {"id": "price_old"}}]},
}


def test_a_subscription_is_read_in_the_current_api_version():
    facts = subscription_facts(NEW_SUBSCRIPTION)

    assert (facts.id, facts.customer_id, facts.status, facts.price_ids) == (
        "sub_1",
        "cus_1",
        "trialing",
        ("price_pro",),
    )
    assert facts.current_period_start == datetime(2026, 9, 21, 14, 13, 20, tzinfo=UTC)
    assert facts.current_period_end == datetime(2026, 10, 21, 14, 13, 20, tzinfo=UTC)
    assert facts.cancel_at_period_end is True


def test_a_subscription_is_read_in_older_api_versions():
    facts = subscription_facts(OLD_SUBSCRIPTION)

    assert (facts.customer_id, facts.price_ids, facts.cancel_at_period_end) == (
        "cus_2",
        ("price_old",),
        False,
    )
    assert facts.current_period_start == datetime(2026, 9, 21, 14, 13, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"object": "customer"}, "Not a subscription object."),
        ({"items": None}, "`items.data` is not a list of subscription items."),
        ({"items": {"data": [{"id": "si"}]}}, "`items.data.price` is missing."),
        ({"customer": None}, "`customer` is missing."),
        ({"customer": 12}, "`customer` is not a Stripe id."),
        ({"status": "x" * 25}, "`status` is not a string of at most 24 characters."),
        ({"current_period_end": "soon"}, "`current_period_end` is not a Unix time."),
        ({"current_period_end": True}, "`current_period_end` is not a Unix time."),
        ({"current_period_end": 10**20}, "`current_period_end` is not a Unix time."),
    ],
)
def test_a_subscription_missing_a_fact_is_malformed(change, message):
    with pytest.raises(StripeObjectMalformed) as refused:
        subscription_facts({**OLD_SUBSCRIPTION, **change})
    assert str(refused.value) == message


INVOICE = {
    "id": "in_1",
    "object": "invoice",
    "customer": "cus_1",
    "number": "ABCD-0001",
    "status": "paid",
    "amount_due": 2000,
    "amount_paid": 2000,
    "currency": "EUR",
    "created": 1_790_000_000,
    "status_transitions": {"finalized_at": 1_790_000_060},
    "period_start": 1_790_000_000,
    "period_end": 1_792_592_000,
    "parent": {"type": "subscription_details", "subscription_details": {"subscription": "sub_1"}},
    "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_1",
    "invoice_pdf": "https://pay.stripe.com/invoice/acct_1/test_1/pdf",
}


def test_an_invoice_is_read_with_its_amounts_in_major_units():
    facts = invoice_facts(INVOICE)

    assert (facts.id, facts.customer_id, facts.subscription_id, facts.number) == (
        "in_1",
        "cus_1",
        "sub_1",
        "ABCD-0001",
    )
    assert (facts.status, facts.amount_due, facts.amount_paid, facts.currency) == (
        "paid",
        Decimal("20.00"),
        Decimal("20.00"),
        "eur",
    )
    assert facts.issued_at == datetime(2026, 9, 21, 14, 14, 20, tzinfo=UTC)  # when finalized
    assert facts.hosted_invoice_url == INVOICE["hosted_invoice_url"]
    assert facts.invoice_pdf == INVOICE["invoice_pdf"]


def test_an_older_invoice_names_its_subscription_on_top_and_a_draft_was_issued_when_made():
    older = {**INVOICE, "parent": None, "subscription": {"id": "sub_9"}, "status_transitions": {}}

    facts = invoice_facts(older)

    assert facts.subscription_id == "sub_9"
    assert facts.issued_at == datetime(2026, 9, 21, 14, 13, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount_due": "20.00"}, "`amount_due` is not an integer amount."),
        ({"amount_paid": None}, "`amount_paid` is not an integer amount."),
        ({"currency": "euro"}, "`currency` is not a string of at most 3 characters."),
        ({"currency": "e1"}, "`currency` is not a three-letter code."),
        ({"created": None, "status_transitions": None}, "`created` is missing."),
        (
            {"hosted_invoice_url": "x" * 2001},
            "`hosted_invoice_url` is not a string of at most 2000 characters.",
        ),
    ],
)
def test_an_invoice_missing_a_fact_is_malformed(change, message):
    with pytest.raises(StripeObjectMalformed) as refused:
        invoice_facts({**INVOICE, **change})
    assert str(refused.value) == message


def test_a_checkout_session_is_read():
    facts = checkout_facts(
        {
            "id": "cs_1",
            "object": "checkout.session",
            "mode": "subscription",
            "customer": "cus_1",
            "subscription": {"id": "sub_1"},
            "client_reference_id": None,
        }
    )

    assert (facts.customer_id, facts.subscription_id, facts.client_reference_id, facts.mode) == (
        "cus_1",
        "sub_1",
        None,
        "subscription",
    )
