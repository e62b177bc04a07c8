from django.apps import AppConfig


class TokenTrackerConfig(AppConfig):
    name = "tokentracker"
    verbose_name = "Tenancy and access"
