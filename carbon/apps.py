from django.apps import AppConfig


class CarbonConfig(AppConfig):
    name = "carbon"
    verbose_name = "Carbon accounting"

    def ready(self) -> None:
        from . import signals  # noqa: F401
