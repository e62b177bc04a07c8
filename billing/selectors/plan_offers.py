"""The plans on offer as the Plan & billing page shows them to one organization: each price
with what choosing it would be (its current plan, an upgrade, a downgrade)."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from billing.models import BillingAccount, PlanPrice, SubscriptionStatus
from tokentracker.models import Organization

from .subscriptions import plan_prices_offered

# A subscription in these states is the organization's plan: buying another one changes it
# (the customer portal) rather than adding a second subscription.
LIVE_STATUSES = frozenset(
    {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE}
)
MONTHS = {PlanPrice.Interval.MONTH: 1, PlanPrice.Interval.YEAR: 12}
OfferAction = Literal["current", "upgrade", "downgrade", "switch", "choose"]
LABELS = {
    "current": "Current plan",
    "upgrade": "Upgrade",
    "downgrade": "Downgrade",
    "switch": "Switch",
    "choose": "Choose",
}


@dataclass(frozen=True)
class PlanOffer:
    price: PlanPrice
    action: OfferAction

    @property
    def label(self) -> str:
        return LABELS[self.action]

    @property
    def currency_code(self) -> str:
        return self.price.currency.upper()


def _monthly(price: PlanPrice) -> Decimal:
    return price.amount / MONTHS.get(price.interval, 1)


def _action(price: PlanPrice, current: PlanPrice | None) -> OfferAction:
    if current is None:
        return "choose"
    if price.stripe_price_id == current.stripe_price_id:
        return "current"
    if price.currency != current.currency or _monthly(price) == _monthly(current):
        return "switch"
    return "upgrade" if _monthly(price) > _monthly(current) else "downgrade"


def plan_offers(*, organization: Organization) -> list[PlanOffer]:
    """Every active price, cheapest first; compared with the price the organization's live
    subscription pays (as the webhooks last told it), compared by its monthly amount."""
    account = (
        BillingAccount.objects.filter(organization_id=organization.pk)
        .values("stripe_price_id", "subscription_status")
        .first()
    )
    subscribed = (
        account["stripe_price_id"]
        if account and account["subscription_status"] in LIVE_STATUSES
        else ""
    )
    prices = list(plan_prices_offered())
    current = next((price for price in prices if price.stripe_price_id == subscribed), None)
    if current is None and subscribed:
        # A price no longer on sale still says what the organization pays.
        current = PlanPrice.objects.filter(stripe_price_id=subscribed).first()
    return [PlanOffer(price=price, action=_action(price, current)) for price in prices]
