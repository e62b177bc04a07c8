from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "opendata"
    verbose_name = "Open data"

    def ready(self) -> None:
        from . import signals  # noqa: F401
