from functools import partial
from typing import Any

from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import Signal, receiver

from tokentracker.money import exchange_rates_changed, reporting_currency_changed
from tokentracker.tag_keys import tag_keys_changed

from .models import ModelAlias, ModelPrice
from .price_book import price_book_invalidate

# Sent after a rollup merge commits, with `organization_ids` (a frozenset): the
# organizations whose rollups changed. Billing evaluates their budgets; usage knows
# nothing of budgets (its layer is below billing's).
rollups_merged = Signal()


@receiver(post_migrate)
def load_catalog_after_migrate(sender: AppConfig, **kwargs: Any) -> None:
    """A fresh database gets the installed genai-prices catalog; later runs leave it alone."""
    if sender.name != "usage":
        return
    from .services.prices import prices_sync

    using = kwargs.get("using", "default")
    if not ModelPrice.objects.using(using).exists():
        prices_sync()


@receiver([post_save, post_delete], sender=ModelPrice)
@receiver([post_save, post_delete], sender=ModelAlias)
def catalog_changed(**kwargs: Any) -> None:
    # Now for this process, and again at commit so another process cannot reload the old
    # rows between our bump and our commit and keep them as current.
    price_book_invalidate()
    transaction.on_commit(price_book_invalidate)


@receiver(reporting_currency_changed)
def convert_after_currency_change(*, organization_id: int, **kwargs: Any) -> None:
    from .services.conversions import reporting_currency_changed_convert

    reporting_currency_changed_convert(organization_id=organization_id)


@receiver(tag_keys_changed)
def recount_tags_after_change(*, organization_id: int, **kwargs: Any) -> None:
    from .services.dimensions import dimension_rollups_rebuild_soon

    transaction.on_commit(partial(dimension_rollups_rebuild_soon, organization_id))


@receiver(exchange_rates_changed)
def convert_waiting_events(**kwargs: Any) -> None:
    # Sent once the rates are committed.
    from .services.conversions import unconverted_events_convert_soon

    unconverted_events_convert_soon()
