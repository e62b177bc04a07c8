from django.apps import AppConfig


class TokenTrackerConfig(AppConfig):
    name = "tokentracker"
    verbose_name = "Tenancy and access"

    def ready(self) -> None:
        from . import (
            schema,  # noqa: F401  (registers the OpenAPI auth extension)
            signals,  # noqa: F401
        )
