from typing import Any

from corsheaders.signals import check_request_enabled
from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.dispatch import receiver
from django.http import HttpRequest

from .models import DatasetRefresh


@receiver(post_migrate)
def seed_after_migrate(sender: AppConfig, **kwargs: Any) -> None:
    """A fresh database gets the default baskets and a first refresh of every dataset, so
    the data API answers (with validators) from the first start. Runs after usage's
    catalog loader (INSTALLED_APPS order), so the baskets find their models."""
    if sender.name != "opendata":
        return
    from .services import baskets_seed_defaults, datasets_refresh

    if baskets_seed_defaults() or not DatasetRefresh.objects.exists():
        datasets_refresh()


@receiver(check_request_enabled)
def cors_open_data(sender: Any, request: HttpRequest, **kwargs: Any) -> bool:
    """The datasets are public: any origin may read them, whatever CORS_ALLOWED_ORIGINS
    restricts the keyed carbon-llm endpoints to."""
    return request.path.startswith("/api/v1/data")
