"""The Checkout stand-in (tests/stripe_checkout/) refuses what Stripe refuses and forwards
the rest to localstripe, as the official client sees it."""

import pytest
import stripe
from stripe import StripeClient

from tests.stripe_servers import SECRET_KEY


@pytest.fixture
def client(stripe_api):
    stripe_api.price_create("price_pro_monthly", amount=2900)
    return StripeClient(SECRET_KEY, base_addresses={"api": stripe_api.url}, max_network_retries=0)


@pytest.fixture
def customer(client):
    return client.v1.customers.create(params={"name": "Acme"}).id


def refusal(call):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        call()
    return refused.value.user_message, refused.value.param, refused.value.code


def session_params(customer_id, **changes):
    params = {
        "mode": "subscription",
        "customer": customer_id,
        "line_items": [{"price": "price_pro_monthly", "quantity": 1}],
        "success_url": "https://tokentracker.example.com/paid",
    }
    params.update(changes)
    return {name: value for name, value in params.items() if value is not None}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"mode": None}, ("Missing required param: mode.", "mode", "parameter_missing")),
        (
            {"mode": "rent"},
            ("Invalid mode: must be one of payment, setup, or subscription", "mode", None),
        ),
        (
            {"line_items": None},
            ("Missing required param: line_items.", "line_items", "parameter_missing"),
        ),
        (
            {"line_items": [{"quantity": 1}]},
            (
                "Missing required param: line_items[0][price].",
                "line_items[0][price]",
                "parameter_missing",
            ),
        ),
        (
            {"line_items": [{"price": "price_pro_monthly"}]},
            (
                "Quantity is required. Add `quantity` to `line_items[0]`",
                "line_items[0][quantity]",
                None,
            ),
        ),
        (
            {"line_items": [{"price": "price_nope", "quantity": 1}]},
            ("No such price: 'price_nope'", "line_items[0][price]", "resource_missing"),
        ),
        (
            {"success_url": None},
            ("Missing required param: success_url.", "success_url", "parameter_missing"),
        ),
        ({"success_url": "not a url"}, ("Not a valid URL", "success_url", "url_invalid")),
        (
            {"customer": "cus_nope"},
            ("No such customer: 'cus_nope'", "customer", "resource_missing"),
        ),
    ],
)
def test_a_checkout_session_is_refused_as_stripe_refuses_it(
    stripe_api, client, customer, changes, expected
):
    params = session_params(customer, **changes)
    assert refusal(lambda: client.v1.checkout.sessions.create(params=params)) == expected
    assert stripe_api.sessions == {}


def test_an_open_session_is_answered_and_read_back(stripe_api, client, customer):
    created = client.v1.checkout.sessions.create(params=session_params(customer)).to_dict()
    assert created["object"] == "checkout.session"
    assert (created["status"], created["payment_status"], created["subscription"]) == (
        "open",
        "unpaid",
        None,
    )
    assert (created["amount_total"], created["currency"], created["customer"]) == (
        2900,
        "usd",
        customer,
    )
    assert client.v1.checkout.sessions.retrieve(created["id"]).to_dict() == created
    message, _, code = refusal(lambda: client.v1.checkout.sessions.retrieve("cs_test_nope"))
    assert (message, code) == ("No such checkout.session: 'cs_test_nope'", "resource_missing")


def test_completing_a_session_subscribes_its_customer(stripe_api, client, customer):
    created = client.v1.checkout.sessions.create(params=session_params(customer)).id
    completed = stripe_api.complete(created)
    assert (completed["status"], completed["payment_status"], completed["url"]) == (
        "complete",
        "paid",
        None,
    )
    subscription = client.v1.subscriptions.retrieve(completed["subscription"]).to_dict()
    assert (subscription["customer"], subscription["status"]) == (customer, "active")
    assert subscription["items"]["data"][0]["plan"]["id"] == "price_pro_monthly"
    assert completed["webhook_status"] is None  # no webhook registered


def test_a_portal_flow_is_checked_against_the_customers_subscription(stripe_api, client, customer):
    other = client.v1.customers.create(params={"name": "Other"}).id
    subscription = stripe_api.complete(
        client.v1.checkout.sessions.create(params=session_params(other)).id
    )
    flow = {
        "type": "subscription_update_confirm",
        "subscription_update_confirm": {
            "subscription": subscription["subscription"],
            "items": [{"id": "si_nope", "price": "price_pro_monthly"}],
        },
    }
    params = {"customer": customer, "return_url": "https://t.example.com/", "flow_data": flow}
    message, param, _ = refusal(lambda: client.v1.billing_portal.sessions.create(params=params))
    sub_id = subscription["subscription"]
    assert message == f"The subscription {sub_id} does not belong to customer {customer}."
    assert param == "flow_data[subscription_update_confirm][subscription]"
    params["customer"] = other
    message, param, _ = refusal(lambda: client.v1.billing_portal.sessions.create(params=params))
    assert param == "flow_data[subscription_update_confirm][items][0][id]"
    assert refusal(
        lambda: client.v1.billing_portal.sessions.create(
            params={"return_url": "https://t.example.com/"}
        )
    ) == ("Missing required param: customer.", "customer", "parameter_missing")
    assert stripe_api.portal_sessions == {}


def test_every_other_path_is_localstripes(stripe_api, client, customer):
    assert client.v1.customers.retrieve(customer).to_dict()["name"] == "Acme"
    assert stripe_api.to("GET", f"/v1/customers/{customer}")


def test_a_wrong_key_is_refused(stripe_api):
    wrong = StripeClient(
        "sk_test_wrong", base_addresses={"api": stripe_api.url}, max_network_retries=0
    )
    with pytest.raises(stripe.AuthenticationError):
        wrong.v1.checkout.sessions.create(params={"mode": "subscription"})
