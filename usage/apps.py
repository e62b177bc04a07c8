from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "usage"
    verbose_name = "Usage and prices"

    def ready(self) -> None:
        from . import signals  # noqa: F401
