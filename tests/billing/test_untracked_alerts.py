"""The untracked-spend alert: "untracked spend over N% of the bill", once per budget and
month, delivered by email, Slack and webhooks like every budget alert. On the known month of
tests/billing/reconciliation_data.py: OpenAI billed 8.25 of which 3.75 untracked (45.45%),
Anthropic 1.25 of which 0.25 (20%), together 9.50 and 4.00 (42.11%)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core import mail

from billing.models import AlertDelivery, AlertKind, Budget, BudgetAlert, DeliveryChannel
from billing.services.alerts import budgets_evaluate
from billing.services.budgets import BudgetInvalid, budget_create, budget_update
from billing.services.webhooks import webhook_endpoint_create
from tests.billing.reconciliation_data import NOW, march_reconciled
from tests.factories import MembershipFactory
from tokentracker.models import Role

from .receivers import Receiver, endpoint_admin

pytestmark = pytest.mark.django_db

NOW_DATETIME = datetime(2026, 3, 20, 12, tzinfo=UTC)
MARCH = date(2026, 3, 1)


@pytest.fixture
def month(org, outsider_org, record, freeze):
    freeze(NOW)
    march_reconciled(org, outsider_org, record)


def budget(org, name, percent, amount=100, **scope):
    return Budget.objects.create(
        organization=org,
        name=name,
        scope="service" if scope else "organization",
        amount=Decimal(amount),
        currency="USD",
        untracked_alert_percent=percent,
        **scope,
    )


def evaluate(org, capture):
    with capture(execute=True):
        return sorted(
            (alert.budget.name, alert.kind, alert.threshold)
            for alert in budgets_evaluate(org.id, now=NOW_DATETIME)
        )


def test_fires_once_a_month_where_untracked_spend_is_over_the_share(
    org, outsider_org, month, django_capture_on_commit_callbacks
):
    budget(org, "All", 40)  # 42.11% > 40
    budget(org, "OpenAI", 45, service="openai")  # 45.45% > 45
    budget(org, "Anthropic", 20, service="anthropic")  # exactly 20%: not over
    budget(org, "Google", 1, service="google")  # no synced provider, no bill
    budget(org, "Off", None)
    assert evaluate(org, django_capture_on_commit_callbacks) == [
        ("All", "untracked", 40),
        ("OpenAI", "untracked", 45),
    ]
    alert = BudgetAlert.objects.get(budget__name="All")
    assert (alert.period, alert.spent, alert.billed, alert.untracked, alert.budget_amount) == (
        MARCH,
        Decimal("13.00"),
        Decimal("9.50"),
        Decimal("4.00"),
        Decimal(100),
    )
    assert BudgetAlert.objects.get(budget__name="OpenAI").billed == Decimal("8.25")
    # Evaluated again (beat does every few minutes): nothing fires twice.
    assert evaluate(org, django_capture_on_commit_callbacks) == []
    assert BudgetAlert.objects.filter(kind=AlertKind.UNTRACKED).count() == 2
    # The outsider's own bill is 500 against 100 of events: its budgets are judged on it,
    # and org's alerts are none of its business.
    budget(outsider_org, "Theirs", 50, amount=10_000)
    assert evaluate(outsider_org, django_capture_on_commit_callbacks) == [
        ("Theirs", "untracked", 50)
    ]
    assert BudgetAlert.objects.get(budget__name="Theirs").billed == Decimal(500)


def test_a_lower_share_set_later_fires_at_its_own_threshold(
    org, month, django_capture_on_commit_callbacks
):
    anthropic = budget(org, "Anthropic", 20, service="anthropic")
    assert evaluate(org, django_capture_on_commit_callbacks) == []
    anthropic.untracked_alert_percent = 19
    anthropic.save()
    assert evaluate(org, django_capture_on_commit_callbacks) == [("Anthropic", "untracked", 19)]


def test_it_goes_to_admins_by_email_and_to_slack(
    org, month, private_webhooks_allowed, django_capture_on_commit_callbacks
):
    MembershipFactory(organization=org, role=Role.OWNER, user__email="olga@example.com")
    MembershipFactory(organization=org, role=Role.MEMBER, user__email="mia@example.com")
    receiver = Receiver().start()
    try:
        webhook_endpoint_create(
            organization_id=org.id,
            actor=endpoint_admin(org),
            name="Slack",
            kind="slack",
            url=receiver.base + "/services/T1/B2/x",
        )
        budget(org, "All", 40)
        assert evaluate(org, django_capture_on_commit_callbacks) == [("All", "untracked", 40)]
    finally:
        receiver.stop()
    headline = (
        'Budget "All": untracked spend is over 40% of the bill in March 2026: 4.00 of 9.50 '
        "USD billed by synced providers (42.11%) was not reported by your integrations."
    )
    (got,) = receiver.received
    assert got.json == {
        "text": f":warning: *Acme*: {headline} Spent so far: 13.00 USD (13.00% of the budget)."
    }
    emails = {message.to[0]: message for message in mail.outbox}
    assert set(emails) >= {"olga@example.com"} and "mia@example.com" not in emails
    email = emails["olga@example.com"]
    assert email.subject == (
        '[TokenTracker] Acme: budget "All": untracked spend over 40% of the bill'
    )
    assert email.body.startswith(headline + "\n")
    assert (
        "Billed by synced providers in March 2026: 9.50 USD, of which 4.00 USD untracked"
        in email.body
    )
    event_types = set(AlertDelivery.objects.values_list("channel", "event_type"))
    assert (DeliveryChannel.SLACK, "budget.untracked_spend") in event_types


def test_the_webhook_body_carries_the_bill_and_its_untracked_part(org, month):
    from billing.alert_messages import alert_webhook_body

    alert = BudgetAlert.objects.create(
        organization=org,
        budget=budget(org, "All", 40),
        period=MARCH,
        kind=AlertKind.UNTRACKED,
        threshold=40,
        spent=Decimal("13"),
        projected=Decimal("20"),
        budget_amount=Decimal(100),
        billed=Decimal("9.5"),
        untracked=Decimal("4"),
        currency="USD",
    )
    body = alert_webhook_body(alert)
    assert body["type"] == "budget.untracked_spend"
    assert {key: body["data"][key] for key in ("kind", "threshold_percent", "billed")} == {
        "kind": "untracked",
        "threshold_percent": 40,
        "billed": 9.5,
    }
    assert (body["data"]["untracked"], body["data"]["percent_untracked"]) == (4.0, 42.11)


@pytest.mark.parametrize("percent", [0, 101, "30", 2.5, True])
def test_the_share_is_a_whole_percentage_from_1_to_100(org, percent):
    admin = endpoint_admin(org)
    with pytest.raises(BudgetInvalid) as refused:
        budget_create(
            organization_id=org.id,
            actor=admin,
            name="All",
            scope="organization",
            amount=10,
            untracked_alert_percent=percent,
        )
    assert refused.value.field == "untracked_alert_percent"
    assert not Budget.objects.exists()


def test_scopes_without_a_provider_bill_refuse_it(org):
    admin = endpoint_admin(org)
    with pytest.raises(BudgetInvalid) as refused:
        budget_create(
            organization_id=org.id,
            actor=admin,
            name="P",
            scope="project",
            project="p",
            amount=10,
            untracked_alert_percent=30,
        )
    assert refused.value.field == "untracked_alert_percent"
    created = budget_create(
        organization_id=org.id,
        actor=admin,
        name="OpenAI",
        scope="service",
        service="openai",
        amount=10,
        untracked_alert_percent=30,
    )
    assert created.untracked_alert_percent == 30
    assert budget_update(budget=created, actor=admin, untracked_alert_percent=None)
    created.refresh_from_db()
    assert created.untracked_alert_percent is None
