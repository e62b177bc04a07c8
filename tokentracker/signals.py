"""Keep the money book current whoever writes rates or organizations (admin, services);
end each request's log context once its response is closed."""

from typing import Any

from django.core.signals import request_finished
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import ExchangeRate, Organization
from .money import exchange_rates_changed, money_book_invalidate
from .request_context import request_end

request_finished.connect(request_end, dispatch_uid="tokentracker.request_context.end")


@receiver([post_save, post_delete], sender=Organization)
def organization_changed(**kwargs: Any) -> None:
    # Organizations change rarely; reloading the (small) book on any change is simpler
    # than tracking which save touched the reporting currency.
    money_book_invalidate()


@receiver([post_save, post_delete], sender=ExchangeRate)
def exchange_rate_changed(**kwargs: Any) -> None:
    money_book_invalidate()
    transaction.on_commit(lambda: exchange_rates_changed.send(sender=ExchangeRate))
