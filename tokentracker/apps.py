from django.apps import AppConfig


class TokenTrackerConfig(AppConfig):
    name = "tokentracker"
    verbose_name = "Tenancy and access"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers the production settings checks)
            schema,  # noqa: F401  (registers the OpenAPI auth extension)
            signals,  # noqa: F401
        )
