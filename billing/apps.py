from django.apps import AppConfig


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"

    def ready(self) -> None:
        from . import signals  # noqa: F401

        # Registers the overview's chart against the budget with usage's extension point.
        from .selectors import month_chart  # noqa: F401
        from .services import deliveries  # noqa: F401  (receives alert_fired)
