"""CodingVibez `POST /api/checkout`: a Stripe Checkout Session for the organization's
customer (made once), or the portal's change of plan; admins and owners only; return URLs
on this site; 503 when billing is off or Stripe fails. Against localstripe and the Checkout
stand-in through the official client."""

import json

import pytest

from billing.models import BillingAccount
from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import ApiKeyScope, Plan, Role
from tokentracker.services import api_key_create

from .helpers import data, error

pytestmark = pytest.mark.django_db

PAGE = "http://testserver/o/acme/billing/"
BODY = {
    "priceId": "price_pro_monthly",
    "successUrl": PAGE + "?checkout=success",
    "cancelUrl": PAGE + "?checkout=canceled",
}


def post(client, body, key=None, **headers):
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    payload = body if isinstance(body, str) else json.dumps(body)
    return client.post("/api/checkout", payload, content_type="application/json", **headers)


def key_of(org, role, **fields):
    creator = MembershipFactory(organization=org, role=role)
    return api_key_create(
        organization=org, name=role, prefix="isv_live_sk_", created_by=creator.user, **fields
    ).raw_key


@pytest.fixture
def admin_key(org):
    return key_of(org, Role.ADMIN)


def nothing_bought(stripe_api):
    assert not BillingAccount.objects.exists()
    assert stripe_api.requests == []


def test_a_signed_in_admin_gets_a_checkout_url(client, sign_in, org, offered_prices, stripe_api):
    sign_in(org, Role.ADMIN)
    response = post(client, BODY)

    body = data(response)
    [session] = stripe_api.sessions.values()
    assert body == {"sessionId": session["id"], "url": session["url"], "kind": "checkout"}
    account = BillingAccount.objects.get(organization=org)
    assert session["customer"] == account.stripe_customer_id
    assert session["client_reference_id"] == str(org.uuid)
    assert (session["success_url"], session["cancel_url"]) == (
        BODY["successUrl"],
        BODY["cancelUrl"],
    )
    assert response.headers["X-RateLimit-Limit"] == "30"  # counted as a write


def test_a_write_key_of_an_owner_buys_and_the_customer_is_reused(
    client, org, offered_prices, stripe_api
):
    key = key_of(org, Role.OWNER)
    first = data(post(client, BODY, key))
    second = data(post(client, {**BODY, "priceId": "price_indie_monthly"}, key))

    assert first["sessionId"] != second["sessionId"]
    assert len(stripe_api.to("POST", "/v1/customers")) == 1
    customer = BillingAccount.objects.get(organization=org).stripe_customer_id
    assert {s["customer"] for s in stripe_api.sessions.values()} == {customer}


def test_with_a_subscription_another_plan_is_the_portals_change(
    client, admin_key, offered_prices, stripe_api
):
    stripe_api.complete(
        data(post(client, {**BODY, "priceId": "price_indie_monthly"}, admin_key))["sessionId"]
    )

    body = data(post(client, BODY, admin_key))

    assert body["kind"] == "portal"
    portal = stripe_api.portal_sessions[body["sessionId"]]
    assert body["url"] == portal["url"]
    assert portal["flow"]["subscription_update_confirm"]["items"][0]["price"] == "price_pro_monthly"
    assert len(stripe_api.sessions) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"priceId": "price_nope"},
            "priceId: is not a price on offer: no active plan price has this id",
        ),
        ({"priceId": None}, "priceId: is required: the Stripe price id of a plan"),
        ({"priceId": 7}, "priceId: is required: the Stripe price id of a plan"),
        (
            {"successUrl": "https://evil.example.com/paid"},
            "successUrl: must be a page of this site (hosts: ",
        ),
        ({"cancelUrl": "javascript:alert(1)"}, "cancelUrl: must be an absolute http(s) URL"),
        ({"cancelUrl": None}, "cancelUrl: is required: an absolute http(s) URL of this site"),
        ({"successUrl": "/o/acme/billing/"}, "successUrl: must be an absolute http(s) URL"),
    ],
)
def test_bad_input_is_a_validation_error_and_nothing_is_bought(
    client, admin_key, offered_prices, stripe_api, changes, message
):
    body = {name: value for name, value in {**BODY, **changes}.items() if value is not None}
    assert error(post(client, body, admin_key), 400, "VALIDATION_ERROR").startswith(message)
    nothing_bought(stripe_api)


def test_an_inactive_price_is_not_on_offer(client, admin_key, offered_prices, stripe_api):
    offered_prices["pro"].active = False
    offered_prices["pro"].save()
    assert error(post(client, BODY, admin_key), 400, "VALIDATION_ERROR").startswith(
        "priceId: is not a price on offer"
    )
    nothing_bought(stripe_api)


@pytest.mark.parametrize("body", ["[1, 2]", '"price_pro_monthly"', "{not json"])
def test_a_body_that_is_not_an_object_is_refused(
    client, admin_key, offered_prices, stripe_api, body
):
    error(post(client, body, admin_key), 400, "VALIDATION_ERROR")
    nothing_bought(stripe_api)


def test_billing_off_is_a_503_in_the_envelope(client, admin_key, db):
    assert error(post(client, BODY, admin_key), 503, "INTEGRATION_ERROR") == (
        "Billing is not configured: the operator has not set STRIPE_SECRET_KEY and "
        "STRIPE_WEBHOOK_SECRET."
    )
    assert not BillingAccount.objects.exists()


def test_stripe_refusing_is_a_503_with_its_message(client, admin_key, offered_prices, stripe_api):
    ghost = offered_prices["pro"]
    ghost.pk, ghost.stripe_price_id = None, "price_ghost"
    ghost.save()
    assert error(
        post(client, {**BODY, "priceId": "price_ghost"}, admin_key), 503, "INTEGRATION_ERROR"
    ) == ("Stripe refused to open a checkout: No such price: 'price_ghost'")


def test_without_a_key_or_session_it_is_an_authentication_error(client, offered_prices, stripe_api):
    error(post(client, BODY), 401, "AUTHENTICATION_ERROR")
    error(post(client, BODY, "isv_live_sk_" + "x" * 40), 401, "AUTHENTICATION_ERROR")
    nothing_bought(stripe_api)


@pytest.mark.parametrize(
    ("role", "message"),
    [
        (Role.VIEWER, "Viewers cannot buy plans: admins and owners can."),
        (Role.MEMBER, "Only admins and owners buy plans and manage the organization's billing."),
    ],
)
def test_viewers_and_members_may_not_buy(
    client, sign_in, org, offered_prices, stripe_api, role, message
):
    sign_in(org, role)
    assert error(post(client, BODY), 403, "AUTHORIZATION_ERROR") == message
    nothing_bought(stripe_api)


def test_a_key_of_a_member_a_read_only_key_and_a_key_of_no_one_may_not_buy(
    client, org, offered_prices, stripe_api
):
    assert error(post(client, BODY, key_of(org, Role.MEMBER)), 403, "AUTHORIZATION_ERROR") == (
        "Only admins and owners buy plans and manage the organization's billing."
    )
    read_only = key_of(org, Role.OWNER, scope=ApiKeyScope.READ)
    assert (
        error(post(client, BODY, read_only), 403, "AUTHORIZATION_ERROR")
        == "This API key is read-only."
    )
    cli_key = api_key_create(organization=org, name="cli", prefix="isv_live_sk_").raw_key
    assert error(post(client, BODY, cli_key), 403, "AUTHORIZATION_ERROR").startswith(
        "This API key acts for no current member"
    )
    nothing_bought(stripe_api)


def test_another_organizations_key_buys_for_its_own_organization_only(
    client, org, outsider_org, offered_prices, stripe_api
):
    body = data(post(client, BODY, key_of(outsider_org, Role.OWNER)))
    assert stripe_api.sessions[body["sessionId"]]["client_reference_id"] == str(outsider_org.uuid)
    assert not BillingAccount.objects.filter(organization=org).exists()


def test_a_person_in_several_organizations_names_the_one_that_buys(
    client, sign_in, org, offered_prices, stripe_api
):
    user = sign_in(org, Role.OWNER)
    beta = OrganizationFactory(slug="beta")
    MembershipFactory(user=user, organization=beta, role=Role.OWNER)
    assert error(post(client, BODY), 400, "VALIDATION_ERROR").startswith("organizationId: required")
    assert error(
        post(client, {**BODY, "organizationId": str(OrganizationFactory().uuid)}),
        400,
        "VALIDATION_ERROR",
    ) == ("organizationId: not one of your organizations")
    nothing_bought(stripe_api)

    body = data(post(client, {**BODY, "organizationId": str(beta.uuid)}))
    assert stripe_api.sessions[body["sessionId"]]["client_reference_id"] == str(beta.uuid)


def test_checkout_counts_on_the_write_limit(client, org, admin_key, offered_prices, stripe_api):
    org.plan = Plan.objects.create(slug="one-write", name="One write", writes_per_minute=1)
    org.save(update_fields=["plan"])
    data(post(client, BODY, admin_key))
    assert error(post(client, BODY, admin_key), 429, "RATE_LIMIT_EXCEEDED") == "Rate limit exceeded"
    assert len(stripe_api.sessions) == 1


def test_an_unknown_path_below_checkout_is_a_codingvibez_404(client, admin_key):
    response = client.get("/api/checkout/nope", HTTP_AUTHORIZATION=f"Bearer {admin_key}")
    assert error(response, 404, "NOT_FOUND") == "No endpoint at /api/checkout/nope."
