from typing import Any

from django.apps import AppConfig
from django.db import transaction
from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver

from .carbon_book import carbon_book_invalidate
from .models import CarbonFactor, GridIntensity, MethodologyVersion


@receiver(post_migrate)
def seed_after_migrate(sender: AppConfig, **kwargs: Any) -> None:
    """A fresh database gets EcoLogits' grid mixes and provider defaults; a newer EcoLogits
    release gets a new methodology version. Rows an admin edited are never touched."""
    if sender.name != "carbon":
        return
    from .services import carbon_seed

    carbon_seed()


@receiver([post_save, post_delete], sender=CarbonFactor)
@receiver([post_save, post_delete], sender=GridIntensity)
@receiver([post_save, post_delete], sender=MethodologyVersion)
def carbon_data_changed(**kwargs: Any) -> None:
    # Now for this process, and again at commit so another process cannot reload the old
    # rows between our bump and our commit and keep them as current.
    carbon_book_invalidate()
    transaction.on_commit(carbon_book_invalidate)
