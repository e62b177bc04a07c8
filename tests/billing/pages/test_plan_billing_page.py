"""The Plan & billing page `/o/<slug>/billing/`: the plan and its subscription's state, the
quotas used, the plans on offer with Upgrade/Downgrade/Choose, the invoices; admins and
owners pay through Stripe Checkout (303) and open the customer portal; everyone else reads;
outsiders get 404; billing off shows the plan without buttons."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import BillingAccount, Invoice, PlanPrice, SubscriptionStatus
from billing.selectors.plan_offers import LIVE_STATUSES
from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Plan, Role

pytestmark = pytest.mark.django_db

PAGE = "/o/acme/billing/"
CHECKOUT = "/o/acme/billing/checkout"
PORTAL = "/o/acme/billing/portal"
PERIOD_START = datetime(2026, 3, 1, tzinfo=UTC)
PERIOD_END = datetime(2026, 4, 1, tzinfo=UTC)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def by_testid(content: str, name: str) -> str:
    match = re.search(rf'<(\w+)[^>]* data-testid="{name}"[^>]*>(.*?)</\1>', content, re.S)
    assert match, name
    return text(match.group(2))


def offers(content: str) -> dict[str, str]:
    """Each offered price's row: its text, buttons and badges included."""
    return {
        price: text(row)
        for price, row in re.findall(r'<tr data-price="([^"]+)">(.*?)</tr>', content, re.S)
    }


def checkout_forms(content: str) -> list[str]:
    return re.findall(
        r'action="/o/acme/billing/checkout">.*?name="price_id" value="([^"]+)"', content, re.S
    )


def subscribed(org, price: PlanPrice | None, status=SubscriptionStatus.ACTIVE, **fields):
    """The organization's account as the webhooks would have left it (the plan follows a
    live subscription)."""
    if price is not None and status in LIVE_STATUSES:
        org.plan = price.plan
        org.save(update_fields=["plan"])
    return BillingAccount.objects.create(
        organization=org,
        stripe_customer_id=f"cus_{org.slug}",
        stripe_subscription_id="sub_1" if price else "",
        subscription_status=status,
        subscribed_plan=price.plan if price else None,
        stripe_price_id=price.stripe_price_id if price else "",
        current_period_start=PERIOD_START if price else None,
        current_period_end=PERIOD_END if price else None,
        **fields,
    )


@pytest.fixture
def prices(db):
    """On offer, without Stripe: what the page lists needs no Stripe call."""
    return {
        slug: PlanPrice.objects.create(
            plan=Plan.objects.get(slug=slug),
            stripe_price_id=f"price_{slug}_monthly",
            amount=Decimal(amount),
            currency="usd",
        )
        for slug, amount in (("indie", "9"), ("pro", "29"))
    }


@pytest.fixture
def billing_on(settings):
    # Configured, never reached: the page reads our rows only.
    settings.STRIPE_SECRET_KEY = "sk_test_page"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_page"


def test_an_admin_without_a_subscription_sees_the_plan_the_offers_and_choose_buttons(
    client, sign_in, org, prices, billing_on
):
    sign_in(org, Role.ADMIN)
    response = client.get(PAGE)
    assert response.status_code == 200
    content = response.content.decode()

    assert by_testid(content, "status") == "No subscription"
    assert by_testid(content, "status-line") == (
        "Acme runs under the Self-hosted plan and has no paid subscription."
    )
    assert offers(content) == {
        "price_indie_monthly": "Indie $9.00 / month 100,000 60 unlimited Choose",
        "price_pro_monthly": "Pro $29.00 / month 1,000,000 150 unlimited Choose",
    }
    assert checkout_forms(content) == ["price_indie_monthly", "price_pro_monthly"]
    assert 'data-testid="portal"' not in content  # no customer yet
    assert "Events today (all ingest paths)" in content  # the quotas, as on Settings
    assert "No invoices yet." in content
    assert '<a href="/o/acme/billing/" aria-current="page">Plan &amp; billing</a>' in content


def test_an_active_subscription_marks_its_plan_and_offers_up_and_downgrades(
    client, sign_in, org, prices, billing_on
):
    subscribed(org, prices["indie"])
    sign_in(org, Role.OWNER)
    content = client.get(PAGE).content.decode()

    assert by_testid(content, "status") == "Active"
    assert by_testid(content, "status-line") == "Paid through Stripe; renews on 2026-04-01."
    assert "2026-03-01 to 2026-04-01 (UTC)" in content
    rows = offers(content)
    assert rows["price_indie_monthly"].endswith("Current plan")
    assert rows["price_pro_monthly"].endswith("Upgrade")
    assert checkout_forms(content) == ["price_pro_monthly"]
    assert by_testid(content, "portal") == "Manage payment methods / cancel"


def test_a_cheaper_plan_is_a_downgrade_compared_by_the_month(
    client, sign_in, org, prices, billing_on
):
    yearly = PlanPrice.objects.create(
        plan=Plan.objects.get(slug="pro"),
        stripe_price_id="price_pro_yearly",
        amount=Decimal("290"),
        interval=PlanPrice.Interval.YEAR,
    )
    subscribed(org, prices["pro"])
    sign_in(org, Role.ADMIN)
    rows = offers(client.get(PAGE).content.decode())
    assert rows["price_indie_monthly"].endswith("Downgrade")
    assert rows["price_pro_monthly"].endswith("Current plan")
    assert rows[yearly.stripe_price_id] == "Pro $290.00 / year 1,000,000 150 unlimited Downgrade"


def test_past_due_shows_when_the_grace_ends(client, sign_in, org, prices, billing_on, settings):
    settings.STRIPE_PAST_DUE_GRACE_DAYS = 7
    failed_at = datetime(2026, 3, 20, 9, 30, tzinfo=UTC)
    subscribed(org, prices["pro"], status=SubscriptionStatus.PAST_DUE, past_due_since=failed_at)
    sign_in(org, Role.VIEWER)
    content = client.get(PAGE).content.decode()
    assert by_testid(content, "status") == "Past due"
    assert by_testid(content, "status-line") == (
        "The last payment failed. Pro is kept until 2026-03-27 09:30 UTC while Stripe "
        "retries; update the payment method before then, or Acme returns to the default plan."
    )
    assert failed_at + timedelta(days=7) == datetime(2026, 3, 27, 9, 30, tzinfo=UTC)


def test_cancel_at_period_end_says_until_when(client, sign_in, org, prices, billing_on):
    subscribed(org, prices["pro"], cancel_at_period_end=True)
    sign_in(org, Role.MEMBER)
    content = client.get(PAGE).content.decode()
    assert by_testid(content, "status") == "Cancels at period end"
    assert by_testid(content, "status-line") == (
        "The subscription is canceled at the end of its period: Pro stays until "
        "2026-04-01 00:00 UTC, then Acme returns to the default plan."
    )


@pytest.mark.parametrize(
    ("status", "badge", "line"),
    [
        (
            SubscriptionStatus.CANCELED,
            "Canceled",
            "The subscription has ended: Acme is back on the Self-hosted plan.",
        ),
        (
            SubscriptionStatus.INCOMPLETE,
            "Incomplete",
            "The first payment has not gone through yet: the plan changes once it does.",
        ),
        (
            SubscriptionStatus.INCOMPLETE_EXPIRED,
            "Incomplete, expired",
            "The subscription is incomplete, expired: Acme runs under the Self-hosted plan.",
        ),
        (SubscriptionStatus.TRIALING, "Trial", "On trial until 2026-04-01 00:00 UTC."),
    ],
)
def test_every_other_status_is_said_in_words(
    client, sign_in, org, prices, billing_on, status, badge, line
):
    subscribed(org, prices["pro"], status=status)
    sign_in(org, Role.VIEWER)
    content = client.get(PAGE).content.decode()
    assert (by_testid(content, "status"), by_testid(content, "status-line")) == (badge, line)


def test_invoices_are_listed_newest_first_with_their_links(client, sign_in, org, billing_on):
    account = subscribed(org, None)
    for day, number, status in ((1, "TT-0001", "paid"), (2, "TT-0002", "open")):
        Invoice.objects.create(
            organization=account.organization,
            stripe_invoice_id=f"in_{day}",
            number=number,
            status=status,
            amount_due=Decimal("29.00"),
            amount_paid=Decimal("29.00") if status == "paid" else Decimal(0),
            currency="usd",
            issued_at=datetime(2026, 3, day, 12, tzinfo=UTC),
            hosted_invoice_url=f"https://invoice.stripe.com/i/{number}",
            invoice_pdf=f"https://pay.stripe.com/invoice/{number}/pdf" if day == 1 else "",
        )
    Invoice.objects.create(
        organization=OrganizationFactory(slug="other"),
        stripe_invoice_id="in_other",
        status="paid",
        amount_due=Decimal(1),
        amount_paid=Decimal(1),
        currency="usd",
        issued_at=datetime(2026, 3, 3, tzinfo=UTC),
    )
    sign_in(org, Role.VIEWER)
    content = client.get(PAGE).content.decode()
    tbody = content.split('data-testid="invoices"')[1].split("<tbody>")[1]
    rows = re.findall(r"<tr>(.*?)</tr>", tbody, re.S)
    assert [text(row) for row in rows] == [
        "2026-03-02 TT-0002 $29.00 USD Open View",
        "2026-03-01 TT-0001 $29.00 USD Paid View · PDF",
    ]
    assert (
        '<a href="https://invoice.stripe.com/i/TT-0001" rel="noopener noreferrer">View</a>'
        in content
    )
    assert (
        '<a href="https://pay.stripe.com/invoice/TT-0001/pdf" rel="noopener noreferrer">PDF</a>'
        in content
    )


def test_the_page_reads_in_a_constant_number_of_queries(client, sign_in, org, prices, billing_on):
    account = subscribed(org, prices["pro"])
    sign_in(org, Role.ADMIN)

    def invoices(count):
        Invoice.objects.bulk_create(
            Invoice(
                organization=account.organization,
                stripe_invoice_id=f"in_{count}_{n}",
                status="paid",
                amount_due=Decimal(29),
                amount_paid=Decimal(29),
                currency="usd",
                issued_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n),
            )
            for n in range(count)
        )

    client.get(PAGE)  # the session's first touches
    invoices(1)
    with CaptureQueriesContext(connection) as few:
        client.get(PAGE)
    invoices(30)
    with CaptureQueriesContext(connection) as many:
        content = client.get(PAGE).content.decode()
    assert len(many) == len(few)
    assert "The 24 latest; Stripe's customer portal lists them all." in content
    tbody = content.split('data-testid="invoices"')[1].split("<tbody>")[1].split("</tbody>")[0]
    assert tbody.count("<tr>") == 24


def test_everyone_in_the_organization_reads_it_and_only_admins_get_buttons(
    client, sign_in, org, prices, billing_on
):
    subscribed(org, prices["indie"])
    sign_in(org, Role.MEMBER)
    content = client.get(PAGE).content.decode()
    assert checkout_forms(content) == []
    assert 'data-testid="portal"' not in content
    assert (
        by_testid(content, "admins-only")
        == "Only admins and owners change the plan and manage payment."
    )
    assert offers(content)["price_pro_monthly"] == "Pro $29.00 / month 1,000,000 150 unlimited"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEMBER])
def test_a_post_by_anyone_but_an_admin_is_forbidden(client, sign_in, org, prices, billing_on, role):
    sign_in(org, role)
    assert client.post(CHECKOUT, {"price_id": "price_pro_monthly"}).status_code == 403
    assert client.post(PORTAL).status_code == 403
    assert not BillingAccount.objects.exists()


def test_an_outsider_gets_nothing(client, sign_in, org, prices, billing_on):
    sign_in(OrganizationFactory(slug="elsewhere"), Role.OWNER)
    assert client.get(PAGE).status_code == 404
    assert client.post(CHECKOUT, {"price_id": "price_pro_monthly"}).status_code == 404
    assert client.post(PORTAL).status_code == 404
    assert not BillingAccount.objects.exists()


def test_signed_out_visitors_go_to_the_login_page(client, org):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login?next=/o/acme/billing/"


def test_billing_off_shows_the_plan_and_usage_without_buttons(client, sign_in, org, prices):
    sign_in(org, Role.OWNER)
    content = client.get(PAGE).content.decode()
    assert by_testid(content, "status") == "No subscription"
    assert "Events today (all ingest paths)" in content
    assert 'data-testid="offers"' not in content
    assert checkout_forms(content) == []
    assert 'data-testid="portal"' not in content
    assert by_testid(content, "billing-off").startswith(
        "Plans are not sold on this server: its administrators set each organization's plan. "
        "Operators: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET"
    )


def test_no_price_on_sale_says_so(client, sign_in, org, billing_on):
    sign_in(org, Role.OWNER)
    assert "No plan is on sale yet" in client.get(PAGE).content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("success", "Payment received; the plan changes as soon as Stripe confirms it."),
        ("canceled", "Checkout canceled: nothing was charged and the plan is unchanged."),
    ],
)
def test_returning_from_checkout_says_what_happens_next(
    client, sign_in, org, billing_on, query, message
):
    sign_in(org, Role.ADMIN)
    content = client.get(PAGE, {"checkout": query}).content.decode()
    assert by_testid(content, "checkout-return") == message


def test_an_unknown_return_says_nothing(client, sign_in, org, billing_on):
    sign_in(org, Role.ADMIN)
    assert (
        'data-testid="checkout-return"'
        not in client.get(PAGE, {"checkout": "<b>"}).content.decode()
    )


def test_the_pages_forms_may_lead_to_stripes_pages(client, sign_in, org, billing_on, settings):
    # Their POST answers 303 to Stripe: browsers hold the redirect to the page's form-action.
    settings.STRIPE_API_BASE = "https://api.stripe.com"
    sign_in(org, Role.ADMIN)
    policy = client.get(PAGE)["Content-Security-Policy"]
    [form_action] = [d for d in policy.split("; ") if d.startswith("form-action")]
    assert form_action.split() == [
        "form-action",
        "'self'",
        "https://checkout.stripe.com",
        "https://billing.stripe.com",
        "https://api.stripe.com",
    ]
    other = client.get("/o/acme/settings/")["Content-Security-Policy"]
    assert "form-action 'self';" in other or other.endswith("form-action 'self'")


def test_the_settings_page_links_here(client, sign_in, org):
    sign_in(org, Role.VIEWER)
    content = client.get("/o/acme/settings/").content.decode()
    assert '<a href="/o/acme/billing/">Plan &amp; billing</a>' in content


# --- the buttons, against localstripe and the Checkout stand-in -----------------------------


def test_choose_sends_the_admin_to_stripe_checkout(
    client, sign_in, org, offered_prices, stripe_api
):
    sign_in(org, Role.ADMIN)
    response = client.post(CHECKOUT, {"price_id": "price_pro_monthly"})

    assert response.status_code == 303
    [session] = stripe_api.sessions.values()
    assert response["Location"] == session["url"]
    assert session["success_url"] == "http://testserver/o/acme/billing/?checkout=success"
    assert session["cancel_url"] == "http://testserver/o/acme/billing/?checkout=canceled"
    assert session["customer"] == BillingAccount.objects.get(organization=org).stripe_customer_id
    assert session["client_reference_id"] == str(org.uuid)


def test_a_change_of_plan_goes_to_the_portals_confirmation(
    client, sign_in, org, offered_prices, stripe_api
):
    sign_in(org, Role.OWNER)
    stripe_api.complete(
        client.post(CHECKOUT, {"price_id": "price_indie_monthly"})["Location"].rsplit("/", 1)[1]
    )

    response = client.post(CHECKOUT, {"price_id": "price_pro_monthly"})

    assert response.status_code == 303
    [portal] = stripe_api.portal_sessions.values()
    assert response["Location"] == portal["url"]
    assert portal["flow"]["type"] == "subscription_update_confirm"
    assert portal["flow"]["after_completion"]["redirect"] == {
        "return_url": "http://testserver/o/acme/billing/?checkout=success"
    }


def test_the_plan_already_bought_is_not_bought_twice(
    client, sign_in, org, offered_prices, stripe_api
):
    sign_in(org, Role.OWNER)
    stripe_api.complete(
        client.post(CHECKOUT, {"price_id": "price_pro_monthly"})["Location"].rsplit("/", 1)[1]
    )
    response = client.post(CHECKOUT, {"price_id": "price_pro_monthly"}, follow=True)
    assert response.redirect_chain == [("http://testserver/o/acme/billing/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Nothing was bought: the organization already has this plan."
    ]
    assert stripe_api.portal_sessions == {}
    assert len(stripe_api.sessions) == 1


def test_a_price_off_sale_comes_back_with_the_reason(
    client, sign_in, org, offered_prices, stripe_api
):
    sign_in(org, Role.ADMIN)
    response = client.post(CHECKOUT, {"price_id": "price_gone"}, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "Nothing was bought: that plan is no longer on sale."
    ]
    assert stripe_api.requests == []


def test_billing_off_comes_back_with_the_reason(client, sign_in, org, prices):
    sign_in(org, Role.ADMIN)
    response = client.post(CHECKOUT, {"price_id": "price_pro_monthly"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Nothing was bought. Billing is not configured: the operator has not set "
        "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET."
    ]
    assert not BillingAccount.objects.exists()


def test_manage_opens_the_customer_portal(client, sign_in, org, offered_prices, stripe_api):
    sign_in(org, Role.ADMIN)
    client.post(CHECKOUT, {"price_id": "price_pro_monthly"})
    response = client.post(PORTAL)
    assert response.status_code == 303
    [portal] = stripe_api.portal_sessions.values()
    assert response["Location"] == portal["url"]
    assert portal["return_url"] == "http://testserver/o/acme/billing/"


def test_the_portal_without_a_customer_comes_back_with_the_reason(client, sign_in, org, stripe_api):
    sign_in(org, Role.ADMIN)
    response = client.post(PORTAL, follow=True)
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("This organization has no Stripe customer yet")
    assert stripe_api.requests == []


def test_the_buttons_count_on_the_write_limit(client, sign_in, org, offered_prices, stripe_api):
    org.plan = Plan.objects.create(slug="one-write", name="One write", writes_per_minute=1)
    org.save(update_fields=["plan"])
    sign_in(org, Role.ADMIN)
    assert client.post(CHECKOUT, {"price_id": "price_pro_monthly"}).status_code == 303
    limited = client.post(PORTAL)
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert stripe_api.portal_sessions == {}


def test_get_only_for_the_page_and_post_only_for_the_buttons(client, sign_in, org, billing_on):
    sign_in(org, Role.ADMIN)
    assert client.post(PAGE).status_code == 405
    assert client.get(CHECKOUT).status_code == 405
    assert client.get(PORTAL).status_code == 405


def test_an_admin_of_several_organizations_buys_for_the_one_in_the_url(
    client, sign_in, org, offered_prices, stripe_api
):
    user = sign_in(org, Role.ADMIN)
    MembershipFactory(user=user, organization=OrganizationFactory(slug="beta"), role=Role.OWNER)
    client.post("/o/beta/billing/checkout", {"price_id": "price_pro_monthly"})
    [session] = stripe_api.sessions.values()
    assert session["client_reference_id"] == str(OrganizationFactory(slug="beta").uuid)
    assert not BillingAccount.objects.filter(organization=org).exists()
