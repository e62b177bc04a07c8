import os
from datetime import datetime
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from carbon.carbon_book import carbon_book_get
from carbon.models import MethodologyVersion
from opendata.models import CommunityDaily, DatasetRefresh
from tests.factories import OrganizationFactory
from tokentracker import services
from tokentracker.broker import broker_breaker
from tokentracker.cache import cache_breaker
from usage.price_book import price_book_invalidate


def redis_url_of_worker(redis_url: str, worker: str) -> str:
    """`make test` runs the suite in pytest-xdist workers gw0, gw1, ...; each clears the cache
    (a Redis FLUSHDB) around every test, so each needs a Redis database of its own: gwN uses
    the one N below REDIS_URL's (gw0 REDIS_URL's own; .ci/run's /15 gives 15 and 14)."""
    parts = urlsplit(redis_url)
    named = int(parts.path.strip("/") or 0)
    number = named - int(worker.removeprefix("gw"))
    if number < 0:
        raise pytest.UsageError(
            f"REDIS_URL names Redis database {named}, too low for xdist worker {worker}: "
            f"worker gwN uses database {named} - N; name a higher one (.ci/run uses 15)"
        )
    return parts._replace(path=f"/{number}").geturl()


def pytest_configure(config: pytest.Config) -> None:
    if not settings.REDIS_URL:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        # The controller (or a run without -n): refuse a REDIS_URL too low for the last
        # worker now, rather than in every worker xdist would start again after it fails.
        workers = len(getattr(config.option, "tx", None) or [])
        if workers > 1:
            redis_url_of_worker(settings.REDIS_URL, f"gw{workers - 1}")
        return
    # Settings were read before any conftest (pytest-django sets Django up first), so the
    # cache (and with it the rate limits) and the broker are moved here, before first use;
    # subprocesses a test starts inherit the same database through the environment.
    redis_url = redis_url_of_worker(settings.REDIS_URL, worker)
    os.environ["REDIS_URL"] = redis_url
    override_settings(
        REDIS_URL=redis_url,
        CACHES={
            **settings.CACHES,
            "default": {**settings.CACHES["default"], "LOCATION": redis_url},
        },
        CELERY_BROKER_URL=redis_url,
    ).enable()


@pytest.fixture(autouse=True, scope="session")
def _static_names_without_collectstatic():
    # Production's manifest storage (settings.STORAGES with DEBUG off) needs the manifest
    # `collectstatic` writes; the suite serves static/ as it is, like `make run`.
    # tests/tokentracker/test_static_files.py collects and serves the production way.
    with override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ):
        yield


@pytest.fixture(autouse=True, scope="session")
def _plain_http_without_the_https_redirect():
    # Production (DEBUG off, as in the suite) redirects plain http to https; the test client
    # and live_server speak plain http, like `make run`. tests/tokentracker/pages/
    # test_https.py turns the redirect back on.
    with override_settings(SECURE_SSL_REDIRECT=False):
        yield


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    # Production's PBKDF2 (a million iterations) costs a third of a second or more for each
    # password set or checked: every UserFactory, sign-up and log-in, ten of them for a
    # lockout. Who may log in, lockouts and resets do not depend on the algorithm. The
    # default hashers stay after it, so a hash made with them still checks.
    with override_settings(
        PASSWORD_HASHERS=[
            "django.contrib.auth.hashers.MD5PasswordHasher",
            *settings.PASSWORD_HASHERS,
        ]
    ):
        yield


@pytest.fixture(autouse=True)
def _isolated_cache():
    # Cached key lookups and the price-book version must not leak between tests (each test
    # rolls its database back, the cache does not roll back with it). Nor may a breaker
    # that a cache-outage test opened: it would skip the cache for the next tests.
    cache_breaker.close()
    broker_breaker.close()
    cache.clear()
    price_book_invalidate()
    yield
    cache_breaker.close()
    broker_breaker.close()
    cache.clear()
    price_book_invalidate()


@pytest.fixture(autouse=True)
def _no_celery_worker(settings):
    # No worker runs during the tests, with or without REDIS_URL: follow-up work runs
    # in-process as in the embedded default (or a queued invitation email would never be
    # sent). Tests of the queueing path set CELERY_TASK_ALWAYS_EAGER = False themselves.
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture(autouse=True)
def _receipts_in_a_temporary_folder(settings, tmp_path, monkeypatch):
    # Receipt files of a test go to its own folder, never to var/receipts of the checkout.
    from django.core.files.storage import storages

    from billing.models import Receipt

    root = tmp_path / "receipts"
    settings.RECEIPTS_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "receipts": {**settings.STORAGES["receipts"], "OPTIONS": {"location": root}},
    }
    # A FileField calls its storage callable once, when the model class is built: the
    # field still holds the storage of the settings at import, so it is given the new one.
    monkeypatch.setattr(Receipt._meta.get_field("file"), "storage", storages["receipts"])


@pytest.fixture
def org(db):
    return OrganizationFactory(slug="acme")


@pytest.fixture
def outsider_org(db):
    return OrganizationFactory(slug="outsider")


@pytest.fixture
def raw_key(org):
    return services.api_key_create(organization=org, name="test").raw_key


@pytest.fixture
def outsider_key(outsider_org):
    return services.api_key_create(organization=outsider_org, name="outsider").raw_key


@pytest.fixture
def record(org):
    """Record events for `org` (or `organization=`) through the ingest service, and merge
    them into the rollups every aggregate reads. Unset fields default to a gpt-4o call of
    no tokens; `occurred_at` may be an ISO string and `total_cost` a float."""
    from decimal import Decimal

    from usage.rollups import rollups_merge
    from usage.schemas import EventInput
    from usage.services.events import events_record

    def record(*events, organization=None):
        inputs = []
        for fields in events:
            fields = {"provider": "openai", "model": "gpt-4o", "input_tokens": 0, **fields}
            fields.setdefault("output_tokens", 0)
            if isinstance(fields.get("total_cost"), float):
                fields["total_cost"] = Decimal(str(fields["total_cost"]))
            inputs.append(EventInput(**fields))
        events_record(organization_id=(organization or org).id, api_key_id=None, events=inputs)
        rollups_merge()

    return record


@pytest.fixture
def api(client):
    """A Django test client that speaks JSON with a bearer key."""

    class Api:
        def __init__(self, django_client):
            self.client = django_client

        def post(self, path, body, key=None, **headers):
            import json

            if key:
                headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            return self.client.post(path, data, content_type="application/json", **headers)

        def get(self, path, key=None, **params):
            headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
            return self.client.get(path, params, **headers)

    return Api(client)


@pytest.fixture
def freeze():
    """Pin `timezone.now()` (ingest, windows, freshness, envelopes) to an ISO moment."""
    patches = []

    def freeze(moment: str):
        patcher = mock.patch.object(
            timezone, "now", return_value=datetime.fromisoformat(moment.replace("Z", "+00:00"))
        )
        patcher.start()
        patches.append(patcher)

    yield freeze
    for patcher in reversed(patches):  # each restores what the one before it set
        patcher.stop()


@pytest.fixture
def sign_in(client):
    """Sign `client` in as a new member of `organization` with `role`; returns the user."""
    from tests.factories import MembershipFactory

    def sign_in(organization, role, **user_fields):
        user_kwargs = {f"user__{name}": value for name, value in user_fields.items()}
        membership = MembershipFactory(organization=organization, role=role, **user_kwargs)
        client.force_login(membership.user)
        return membership.user

    return sign_in


# --- carbon-llm keys and the carbon book, open data's empty community ------------------


@pytest.fixture
def methodology(db):
    return MethodologyVersion.objects.order_by("-id").first().version


@pytest.fixture
def book(db):
    return carbon_book_get()


@pytest.fixture
def test_key(org):
    return services.api_key_create(organization=org, name="isv test", prefix="isv_test_sk_").raw_key


@pytest.fixture
def live_key(org):
    return services.api_key_create(organization=org, name="isv live", prefix="isv_live_sk_").raw_key


@pytest.fixture
def private_webhooks_allowed(settings):
    """Webhooks may post to loopback and private addresses, as a self-hoster's internal
    Mattermost needs: the tests' receivers (tests/billing/receivers.py) listen on 127.0.0.1,
    which ALERT_WEBHOOK_ALLOW_PRIVATE's default refuses."""
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def eager(settings):
    """Tasks run in-process, as on the embedded default (the suite also runs with Redis)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def fresh_community(db):
    """No community day published yet: `migrate`'s first refresh marked every day up to
    the real yesterday as published, and the tests' days lie before it."""
    CommunityDaily.objects.all().delete()
    DatasetRefresh.objects.filter(dataset="community").delete()


@pytest.fixture
def member_client(client, org, sign_in):
    """A signed-in member of `org` with no API key (a dashboard session)."""
    sign_in(org, "member")
    return client


@pytest.fixture
def viewer_client(client, org, sign_in):
    sign_in(org, "viewer")
    return client


# --- provider admin APIs (billing.sync) ------------------------------------------------------


@pytest.fixture(autouse=True)
def _provider_apis_never_reached(settings, monkeypatch):
    # Nothing in the suite leaves the machine: a sync that no test pointed at
    # `provider_server` meets a closed local port (the discard port) at once, and waits
    # for no retry.
    from billing.sync import http

    settings.OPENAI_ADMIN_API_BASE_URL = "http://127.0.0.1:9"
    settings.ANTHROPIC_ADMIN_API_BASE_URL = "http://127.0.0.1:9"
    monkeypatch.setattr(http, "sleep", lambda seconds: None)


@pytest.fixture
def provider_server(settings, monkeypatch):
    """A local OpenAI and Anthropic admin API (tests/provider_servers.py) the sync talks to;
    the waits between retries are recorded in `provider_server.sleeps`, not waited."""
    from billing.sync import http
    from tests.provider_servers import ProviderServer

    server = ProviderServer().start()
    settings.OPENAI_ADMIN_API_BASE_URL = server.url
    settings.ANTHROPIC_ADMIN_API_BASE_URL = server.url
    monkeypatch.setattr(http, "sleep", server.sleeps.append)
    yield server
    server.stop()


# --- Stripe (billing.payments) ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def _stripe_never_reached(settings):
    # Billing is off unless a test turns it on; one that does without `localstripe` meets a
    # closed local port, never api.stripe.com.
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"


@pytest.fixture(scope="session")
def _localstripe_process():
    from tests.stripe_servers import LocalStripe

    server = LocalStripe().start()
    yield server
    server.stop()


@pytest.fixture
def localstripe(_localstripe_process, settings):
    """localstripe (tests/stripe_servers.py), emptied, with billing configured to use it."""
    from tests.stripe_servers import SECRET_KEY, WEBHOOK_SECRET

    _localstripe_process.flush()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = _localstripe_process.url
    return _localstripe_process


@pytest.fixture(scope="session")
def _stripe_checkout_server(_localstripe_process):
    from tests.stripe_checkout import StripeCheckoutServer

    server = StripeCheckoutServer(_localstripe_process).start()
    yield server
    server.stop()


@pytest.fixture
def stripe_api(localstripe, _stripe_checkout_server, settings):
    """Stripe's API for the test: Checkout and the customer portal answered by the stand-in
    (tests/stripe_checkout.py), everything else by `localstripe`,
    behind one STRIPE_API_BASE; billing configured."""
    _stripe_checkout_server.reset()
    settings.STRIPE_API_BASE = _stripe_checkout_server.url
    yield _stripe_checkout_server
    if _stripe_checkout_server.webhook_url is not None:
        # localstripe keeps posting to the last URL registered, a second after each change:
        # the next test's objects must not reach this test's webhook.
        localstripe.register_webhook("http://127.0.0.1:9/", events=[])
    _stripe_checkout_server.reset()


@pytest.fixture
def offered_prices(stripe_api):
    """Indie at 9.00 and Pro at 29.00 USD a month, in Stripe (localstripe) and on offer as
    PlanPrices; by plan slug."""
    from decimal import Decimal

    from billing.models import PlanPrice
    from tokentracker.models import Plan

    prices = {}
    for slug, price_id, cents in (
        ("indie", "price_indie_monthly", 900),
        ("pro", "price_pro_monthly", 2900),
    ):
        stripe_api.price_create(price_id, amount=cents)
        prices[slug] = PlanPrice.objects.create(
            plan=Plan.objects.get(slug=slug),
            stripe_price_id=price_id,
            amount=Decimal(cents) / 100,
            currency="usd",
        )
    return prices
