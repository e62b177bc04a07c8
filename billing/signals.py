from typing import Any

from django.dispatch import Signal, receiver

from tokentracker.money import exchange_rates_changed, reporting_currency_changed
from usage.signals import rollups_merged


@receiver(reporting_currency_changed)
def convert_after_currency_change(*, organization_id: int, **kwargs: Any) -> None:
    from .services.manual_costs import manual_costs_convert

    manual_costs_convert(organization_id=organization_id, waiting_only=False)


@receiver(exchange_rates_changed)
def convert_waiting_costs(**kwargs: Any) -> None:
    # Sent once the rates are committed.
    from .services.manual_costs import manual_costs_convert

    manual_costs_convert()


@receiver(rollups_merged)
def evaluate_after_merge(*, organization_ids: frozenset[int], **kwargs: Any) -> None:
    # Sent once the merge is committed; throttled per organization (billing.tasks).
    from .selectors.budgets import organizations_with_budgets
    from .tasks import budgets_evaluate_soon

    for organization_id in organizations_with_budgets(organization_ids):
        budgets_evaluate_soon(organization_id, throttled=True)


# Sent once a BudgetAlert is committed (`alert_id`): the channels deliver it.
alert_fired = Signal()
