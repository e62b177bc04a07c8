from typing import Any

from django.dispatch import Signal, receiver

from tokentracker.money import exchange_rates_changed, reporting_currency_changed


@receiver(reporting_currency_changed)
def convert_after_currency_change(*, organization_id: int, **kwargs: Any) -> None:
    from .services.manual_costs import manual_costs_convert

    manual_costs_convert(organization_id=organization_id, waiting_only=False)


@receiver(exchange_rates_changed)
def convert_waiting_costs(**kwargs: Any) -> None:
    # Sent once the rates are committed.
    from .services.manual_costs import manual_costs_convert

    manual_costs_convert()


# Sent once a BudgetAlert is committed (`alert_id`): the channels deliver it.
alert_fired = Signal()
