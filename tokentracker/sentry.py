"""Errors to Sentry, only when SENTRY_DSN is set (settings calls `sentry_init`).

Initialised from the settings module, which the web processes, the Celery worker and beat
all load, so each reports its own errors: a request's unhandled exception (Django), a task
that raised (Celery), a line logged at ERROR (logging, on by default).
"""

from django.core.exceptions import ImproperlyConfigured


def sentry_init(*, dsn: str, environment: str, release: str) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.utils import BadDsn

    try:
        sentry_sdk.init(
            dsn=dsn,
            environment=environment,
            release=f"tokentracker@{release}",
            integrations=[DjangoIntegration(), CeleryIntegration()],
            # No cookies, headers with credentials, user ids or client addresses: events
            # leave our network, and API keys travel in the Authorization header.
            send_default_pii=False,
            # Errors only: performance tracing is a cost an operator opts into in Sentry.
            traces_sample_rate=0.0,
        )
    except BadDsn as exc:
        raise ImproperlyConfigured(f"SENTRY_DSN is not a valid Sentry DSN: {exc}") from None
