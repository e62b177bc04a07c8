"""What Stripe sold, in Django admin: a plan's prices are added on the Plan page; billing
accounts, invoices and webhook events are read-only, and failed or ignored events can be
processed again."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from billing.models import BillingAccount, Invoice, PlanPrice, StripeEvent, StripeEventStatus
from tests.billing.stripe_helpers import event_of, paid_plan
from tests.stripe_servers import SECRET_KEY, WEBHOOK_SECRET

pytestmark = pytest.mark.django_db

ISSUED = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def plan_form(plan, **prices):
    """The Plan change form as the page posts it, with `prices` as new inline rows."""
    rows = list(prices.values())
    form = {
        "slug": plan.slug,
        "name": plan.name,
        "daily_event_limit": plan.daily_event_limit,
        "hourly_request_limit": plan.hourly_request_limit,
        "reads_per_minute": plan.reads_per_minute,
        "writes_per_minute": plan.writes_per_minute,
        "syncs_per_minute": plan.syncs_per_minute,
        "uploads_per_minute": plan.uploads_per_minute,
        "free_live_events_per_month": "",
        "prices-TOTAL_FORMS": len(rows),
        "prices-INITIAL_FORMS": 0,
        "prices-MIN_NUM_FORMS": 0,
        "prices-MAX_NUM_FORMS": 1000,
    }
    for index, row in enumerate(rows):
        form.update({f"prices-{index}-{name}": value for name, value in row.items()})
    return form


def test_a_price_is_added_on_the_plan_page_with_its_currency_in_stripes_case(staff_client):
    plan = paid_plan("pro")
    row = {
        "stripe_price_id": "price_pro_eur",
        "amount": "19.00",
        "currency": "EUR",
        "interval": "month",
        "active": "on",
    }

    response = staff_client.post(
        f"/admin/tokentracker/plan/{plan.pk}/change/", plan_form(plan, a=row)
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    price = PlanPrice.objects.get()
    assert (price.plan, price.stripe_price_id, price.amount, price.currency, price.active) == (
        plan,
        "price_pro_eur",
        Decimal("19.00"),
        "eur",
        True,
    )
    page = staff_client.get(f"/admin/tokentracker/plan/{plan.pk}/change/")
    assert b"price_pro_eur" in page.content


def test_a_price_in_no_currency_is_refused(staff_client):
    plan = paid_plan("pro")
    row = {"stripe_price_id": "price_x", "amount": "19.00", "currency": "XXY", "interval": "month"}

    response = staff_client.post(
        f"/admin/tokentracker/plan/{plan.pk}/change/", plan_form(plan, a=row)
    )

    assert response.status_code == 200
    assert "currency must be an ISO 4217 code" in response.content.decode()
    assert not PlanPrice.objects.exists()


def test_accounts_and_invoices_are_listed_read_only(staff_client, org, outsider_org):
    account = BillingAccount.objects.create(
        organization=org, stripe_customer_id="cus_admin", subscription_status="past_due"
    )
    invoice = Invoice.objects.create(
        organization=org,
        stripe_invoice_id="in_admin",
        number="INV-0001",
        status="open",
        amount_due=Decimal("20.00"),
        amount_paid=Decimal("0.00"),
        currency="usd",
        issued_at=ISSUED,
    )

    accounts = staff_client.get(
        "/admin/billing/billingaccount/", {"subscription_status": "past_due"}
    )
    assert accounts.status_code == 200
    assert [a.pk for a in accounts.context["cl"].result_list] == [account.pk]
    invoices = staff_client.get("/admin/billing/invoice/")
    assert [i.pk for i in invoices.context["cl"].result_list] == [invoice.pk]
    for path in (
        f"/admin/billing/billingaccount/{account.pk}/change/",
        f"/admin/billing/invoice/{invoice.pk}/change/",
    ):
        page = staff_client.get(path)
        assert page.status_code == 200
        assert (
            b'name="status"' not in page.content
            and b'name="stripe_customer_id"' not in page.content
        )
        assert staff_client.post(path, {"status": "paid"}).status_code == 403
    assert staff_client.get("/admin/billing/billingaccount/add/").status_code == 403
    assert staff_client.get("/admin/billing/invoice/add/").status_code == 403
    assert staff_client.post(f"/admin/billing/invoice/{invoice.pk}/delete/").status_code == 403


def test_an_event_shows_its_payload_and_cannot_be_changed(staff_client):
    event = StripeEvent.objects.create(
        stripe_event_id="evt_admin",
        event_type="invoice.paid",
        stripe_created=ISSUED,
        payload=event_of("invoice.paid", {"id": "in_shown"}, event_id="evt_admin"),
        status=StripeEventStatus.FAILED,
        error="Stripe answered: no such invoice",
    )

    page = staff_client.get(f"/admin/billing/stripeevent/{event.pk}/change/")

    assert page.status_code == 200
    assert b"in_shown" in page.content and b"no such invoice" in page.content
    assert (
        staff_client.post(f"/admin/billing/stripeevent/{event.pk}/change/", {}).status_code == 403
    )
    assert staff_client.get("/admin/billing/stripeevent/add/").status_code == 403


def test_processing_again_queues_failed_events_and_leaves_processed_ones(
    staff_client, settings, django_capture_on_commit_callbacks
):
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    failed, processed = (
        StripeEvent.objects.create(
            stripe_event_id=f"evt_{status}",
            event_type="customer.created",
            stripe_created=ISSUED,
            payload=event_of("customer.created", {"id": "cus_1"}, event_id=f"evt_{status}"),
            status=status,
            attempts=5,
        )
        for status in (StripeEventStatus.FAILED, StripeEventStatus.PROCESSED)
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/billing/stripeevent/",
            {"action": "process_again", "_selected_action": [failed.pk, processed.pk]},
            follow=True,
        )

    assert response.status_code == 200
    messages = [str(message) for message in response.context["messages"]]
    assert messages == [
        "1 events queued to be processed again. "
        "1 processed or being processed were left as they are."
    ]
    failed.refresh_from_db()
    processed.refresh_from_db()
    # Processed afresh: an event type TokenTracker does not act on is ignored, once.
    assert (failed.status, failed.attempts) == ("ignored", 1)
    assert (processed.status, processed.attempts) == ("processed", 5)


def test_staff_who_may_only_view_events_get_no_action(client, django_user_model):
    viewer = django_user_model.objects.create_user("viewer", "v@example.com", "pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_stripeevent"))
    client.force_login(viewer)

    listing = client.get("/admin/billing/stripeevent/")

    assert listing.status_code == 200
    assert b"process_again" not in listing.content
