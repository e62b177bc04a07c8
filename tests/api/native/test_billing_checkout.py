"""`POST /api/v1/billing/checkout` and `POST /api/v1/billing/portal`: Stripe sessions for an
admin or owner (a key: its creator), 422 naming the field, 409 before any customer, 503
when billing is off; against localstripe and the Checkout stand-in."""

import json

import pytest

from billing.models import BillingAccount
from tests.factories import MembershipFactory
from tokentracker.models import ApiKeyScope, Plan, Role
from tokentracker.services import api_key_create

pytestmark = pytest.mark.django_db

CHECKOUT = "/api/v1/billing/checkout"
PORTAL = "/api/v1/billing/portal"
PAGE = "http://testserver/o/acme/billing/"
BODY = {
    "price_id": "price_pro_monthly",
    "success_url": PAGE + "?checkout=success",
    "cancel_url": PAGE + "?checkout=canceled",
}


def post(client, path, body, key=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    payload = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, payload, content_type="application/json", **headers)


def key_of(org, role, scope=ApiKeyScope.WRITE):
    creator = MembershipFactory(organization=org, role=role)
    return api_key_create(organization=org, name=role, created_by=creator.user, scope=scope).raw_key


def refused(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()["error"]
    assert body["code"] == code
    return body


@pytest.fixture
def admin_key(org):
    return key_of(org, Role.ADMIN)


def test_an_admin_key_gets_a_checkout_session(client, org, admin_key, offered_prices, stripe_api):
    response = post(client, CHECKOUT, BODY, admin_key)

    assert response.status_code == 200, response.content
    [session] = stripe_api.sessions.values()
    assert response.json() == {
        "session_id": session["id"],
        "url": session["url"],
        "kind": "checkout",
    }
    assert session["customer"] == BillingAccount.objects.get(organization=org).stripe_customer_id
    assert session["client_reference_id"] == str(org.uuid)


def test_a_signed_in_owner_gets_one_too(client, sign_in, org, offered_prices, stripe_api):
    sign_in(org, Role.OWNER)
    assert post(client, CHECKOUT, BODY).json()["kind"] == "checkout"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"price_id": "price_nope"},
            "price_id",
            "is not a price on offer: no active plan price has this id",
        ),
        ({"price_id": None}, "price_id", "is required: the Stripe price id of a plan"),
        (
            {"success_url": "https://evil.example.com/"},
            "success_url",
            "must be a page of this site (hosts: ",
        ),
        ({"cancel_url": "javascript:alert(1)"}, "cancel_url", "must be an absolute http(s) URL"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    client, admin_key, offered_prices, stripe_api, changes, field, message
):
    body = refused(post(client, CHECKOUT, {**BODY, **changes}, admin_key), 422, "VALIDATION_FAILED")
    assert list(body["details"]) == [field]
    assert body["details"][field][0].startswith(message)
    assert not BillingAccount.objects.exists()
    assert stripe_api.requests == []


def test_a_body_that_is_not_an_object_is_a_422(client, admin_key, offered_prices, stripe_api):
    body = refused(post(client, CHECKOUT, "[]", admin_key), 422, "VALIDATION_FAILED")
    assert body["details"] == {"body": ["must be a JSON object"]}
    assert stripe_api.requests == []


def test_billing_off_is_a_503(client, admin_key):
    body = refused(post(client, CHECKOUT, BODY, admin_key), 503, "billing_not_configured")
    assert body["message"].startswith("Billing is not configured")
    body = refused(
        post(client, PORTAL, {"return_url": PAGE}, admin_key), 503, "billing_not_configured"
    )


def test_stripe_refusing_is_a_503_with_its_message(client, admin_key, offered_prices, stripe_api):
    ghost = offered_prices["pro"]
    ghost.pk, ghost.stripe_price_id = None, "price_ghost"
    ghost.save()
    body = refused(
        post(client, CHECKOUT, {**BODY, "price_id": "price_ghost"}, admin_key), 503, "stripe_error"
    )
    assert body["message"] == "Stripe refused to open a checkout: No such price: 'price_ghost'"
    assert body["details"] == {"stripe_code": "resource_missing"}


@pytest.mark.parametrize("path", [CHECKOUT, PORTAL])
def test_without_a_key_it_is_a_401(client, path, offered_prices, stripe_api):
    refused(post(client, path, BODY), 401, "UNAUTHORIZED")
    assert stripe_api.requests == []


@pytest.mark.parametrize("path", [CHECKOUT, PORTAL])
def test_members_viewers_read_only_keys_and_keys_of_no_one_are_refused(
    client, sign_in, org, offered_prices, stripe_api, path
):
    body = {**BODY, "return_url": PAGE}
    member = refused(post(client, path, body, key_of(org, Role.MEMBER)), 403, "FORBIDDEN")
    assert (
        member["message"]
        == "Only admins and owners buy plans and manage the organization's billing."
    )
    read_only = key_of(org, Role.OWNER, scope=ApiKeyScope.READ)
    assert refused(post(client, path, body, read_only), 403, "FORBIDDEN")["message"] == (
        "This API key is read-only."
    )
    nobody = api_key_create(organization=org, name="cli").raw_key
    assert refused(post(client, path, body, nobody), 403, "FORBIDDEN")["message"].startswith(
        "This API key acts for no current member"
    )
    sign_in(org, Role.VIEWER)
    assert refused(post(client, path, body), 403, "FORBIDDEN")["message"] == (
        "Viewers cannot buy plans or manage billing: admins and owners can."
    )
    assert not BillingAccount.objects.exists()
    assert stripe_api.requests == []


def test_another_organizations_key_acts_for_its_own_organization_only(
    client, org, outsider_org, offered_prices, stripe_api
):
    outsider_key = key_of(outsider_org, Role.OWNER)
    session_id = post(client, CHECKOUT, BODY, outsider_key).json()["session_id"]
    assert stripe_api.sessions[session_id]["client_reference_id"] == str(outsider_org.uuid)
    assert not BillingAccount.objects.filter(organization=org).exists()
    # Its portal is its own customer's.
    portal_id = post(client, PORTAL, {"return_url": PAGE}, outsider_key).json()["session_id"]
    outsider_customer = BillingAccount.objects.get(organization=outsider_org).stripe_customer_id
    assert stripe_api.portal_sessions[portal_id]["customer"] == outsider_customer


def test_the_portal_opens_for_the_organizations_customer(
    client, org, admin_key, offered_prices, stripe_api
):
    post(client, CHECKOUT, BODY, admin_key)
    response = post(client, PORTAL, {"return_url": PAGE}, admin_key)

    assert response.status_code == 200, response.content
    [portal] = stripe_api.portal_sessions.values()
    assert response.json() == {"session_id": portal["id"], "url": portal["url"], "kind": "portal"}
    assert portal["customer"] == BillingAccount.objects.get(organization=org).stripe_customer_id
    assert (portal["return_url"], portal["flow"]) == (PAGE, None)


def test_the_portal_before_any_checkout_is_a_409(client, admin_key, stripe_api):
    body = refused(
        post(client, PORTAL, {"return_url": PAGE}, admin_key), 409, "billing_customer_missing"
    )
    assert body["message"].startswith("This organization has no Stripe customer yet")
    assert stripe_api.requests == []


def test_the_portals_return_url_must_be_this_sites(client, admin_key, stripe_api):
    body = refused(
        post(client, PORTAL, {"return_url": "https://evil.example.com/"}, admin_key),
        422,
        "VALIDATION_FAILED",
    )
    assert list(body["details"]) == ["return_url"]


def test_each_call_counts_on_the_write_limit(client, org, admin_key, offered_prices, stripe_api):
    org.plan = Plan.objects.create(slug="one-write", name="One write", writes_per_minute=1)
    org.save(update_fields=["plan"])
    assert post(client, CHECKOUT, BODY, admin_key).status_code == 200
    limited = post(client, PORTAL, {"return_url": PAGE}, admin_key)
    assert refused(limited, 429, "RATE_LIMITED")["message"] == "Rate limit exceeded"
    assert stripe_api.portal_sessions == {}


@pytest.mark.parametrize(
    ("path", "fields"),
    [(CHECKOUT, {"price_id", "success_url", "cancel_url"}), (PORTAL, {"return_url"})],
)
def test_options_describes_the_body(client, admin_key, path, fields):
    response = client.options(path, HTTP_AUTHORIZATION=f"Bearer {admin_key}")
    assert response.status_code == 200, response.content
    assert set(response.json()["actions"]["POST"]) == fields


def test_the_schema_describes_both(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    checkout = schema["paths"][CHECKOUT]["post"]
    portal = schema["paths"][PORTAL]["post"]
    assert (checkout["operationId"], portal["operationId"]) == (
        "billing_checkout",
        "billing_portal",
    )
    assert set(checkout["responses"]) == {"200", "401", "403", "422", "429", "503"}
    assert set(portal["responses"]) == {"200", "401", "403", "409", "422", "429", "503"}
    redirect = schema["components"]["schemas"]["BillingRedirect"]
    assert sorted(redirect["required"]) == ["kind", "session_id", "url"]
    assert "/api/checkout" in schema["paths"]
