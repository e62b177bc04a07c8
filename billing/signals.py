from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import Signal, receiver

from tokentracker.money import exchange_rates_changed, reporting_currency_changed
from tokentracker.services.organization_deletion import organization_deleting
from usage.signals import rollups_merged


@receiver(reporting_currency_changed)
def convert_after_currency_change(*, organization_id: int, **kwargs: Any) -> None:
    from .services.expenses import expenses_convert
    from .services.manual_costs import manual_costs_convert
    from .services.provider_buckets import provider_costs_convert

    manual_costs_convert(organization_id=organization_id, waiting_only=False)
    expenses_convert(organization_id=organization_id, waiting_only=False)
    provider_costs_convert(organization_id=organization_id, waiting_only=False)


@receiver(exchange_rates_changed)
def convert_waiting_costs(**kwargs: Any) -> None:
    # Sent once the rates are committed.
    from .services.expenses import expenses_convert
    from .services.manual_costs import manual_costs_convert
    from .services.provider_buckets import provider_costs_convert

    manual_costs_convert()
    expenses_convert()
    provider_costs_convert()


@receiver(rollups_merged)
def evaluate_after_merge(*, organization_ids: frozenset[int], **kwargs: Any) -> None:
    # Sent once the merge is committed; throttled per organization (billing.tasks).
    from .selectors.budgets import organizations_with_budgets
    from .tasks import budgets_evaluate_soon

    for organization_id in organizations_with_budgets(organization_ids):
        budgets_evaluate_soon(organization_id, throttled=True)


@receiver(post_delete, sender="billing.Receipt")
def delete_receipt_file(*, instance: Any, **kwargs: Any) -> None:
    # However a receipt goes (its expense deleted, its organization, the admin), its file
    # goes once the deletion is committed: a rolled-back delete keeps the file.
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))


# Sent once a sync's provider costs are committed (`organization_id`): the bill changes
# what budgets count (the untracked spend source).
provider_costs_synced = Signal()


@receiver(provider_costs_synced)
def evaluate_after_sync(*, organization_id: int, **kwargs: Any) -> None:
    from .selectors.budgets import organizations_with_budgets
    from .tasks import budgets_evaluate_soon

    if organizations_with_budgets(frozenset({organization_id})):
        budgets_evaluate_soon(organization_id, throttled=True)


# Sent once a BudgetAlert is committed (`alert_id`): the channels deliver it.
alert_fired = Signal()


@receiver(organization_deleting)
def cancel_the_stripe_subscription(*, organization_id: int, **kwargs: Any) -> None:
    from .services.subscriptions import subscription_cancel_for_deletion

    subscription_cancel_for_deletion(organization_id=organization_id)
