"""Every operation of our own /api/schema/, fuzzed by schemathesis: no input may be a 5xx,
and every answer must match the schema it documents.

Runs on PostgreSQL only (`make fuzz`, a step of .ci/run): NUL characters and out-of-range
values fail there, at the database, where SQLite stores them. Deterministic (hypothesis
derandomized), with a bounded number of examples per operation so the run stays around
three minutes on two cores.
"""

import zlib
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker import services
from tokentracker.models import Role

MAX_EXAMPLES = 25

pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the fuzz step runs on PostgreSQL (make fuzz with DATABASE_URL)",
    ),
]


# The WSGI handler builds its middleware once, and SecurityMiddleware reads
# SECURE_SSL_REDIRECT then: built here, at import, it must be built under the tests'
# setting (plain http, see tests/conftest.py), or every call is a 301 to https.
with override_settings(SECURE_SSL_REDIRECT=False):
    application = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
# OTLP's binary protobuf bodies (/v1/traces) are sent as the raw bytes drawn for them.
schemathesis.serializer.alias("application/x-protobuf", "application/octet-stream")


def _nul_variants(value: Any) -> list[Any]:
    """Copies of `value`, each with a NUL character added to one of its strings or keys."""
    if isinstance(value, str):
        return [value + "\x00"]
    if isinstance(value, list):
        return [
            [*value[:index], variant, *value[index + 1 :]]
            for index, item in enumerate(value)
            for variant in _nul_variants(item)
        ]
    if isinstance(value, dict):
        variants = []
        for key, item in value.items():
            variants.append({(k + "\x00" if k == key else k): v for k, v in value.items()})
            variants.extend({**value, key: variant} for variant in _nul_variants(item))
        return variants
    return []


# Each product's own key family, as its clients send it (any key opens any door; the
# family decides the mode, e.g. carbon-llm's live or test sessions).
KEY_PREFIXES = {"Tokenwise": "tw_api_", "codingvibez": "isv_live_sk_"}


def _key_prefix(tags: list[str]) -> str:
    for tag in tags:
        for family, prefix in KEY_PREFIXES.items():
            if tag.startswith(family):
                return prefix
    return "mtt_"


@pytest.fixture
def _one_connection(db):
    # The calls go through the real WSGI handler, whose request_started/finished signals
    # close the connection, and with it the test's transaction; Django's test client
    # disconnects the same handler for the same reason.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_rate_limits():
    # The limits have their own tests (tests/api/*/test_rate_limits.py); here CodingVibez's
    # 30 writes a minute would turn the rest of an operation's inputs into 429s unseen.
    with override_settings(RATE_LIMIT_ENABLED=False):
        yield


@pytest.fixture(autouse=True)
def _billing_on(stripe_api):
    # Billing configured, against localstripe and the Checkout stand-in (tests/conftest.py):
    # off, the Stripe doors answer their documented 503 "billing is not configured" to every
    # input, which this run counts as a server error, and nothing past it would be fuzzed.
    return stripe_api


@pytest.fixture
def keys(_one_connection):
    """A key of each family for a new organization, made by its owner (so invitations, which
    act for the key's creator, are reachable too)."""
    owner = MembershipFactory(organization=OrganizationFactory(slug="fuzz"), role=Role.OWNER)
    return {
        prefix: services.api_key_create(
            organization=owner.organization, name=prefix, prefix=prefix, created_by=owner.user
        ).raw_key
        for prefix in ("mtt_", "tw_api_", "isv_live_sk_")
    }


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_is_a_server_error_and_every_answer_matches_the_schema(case, keys):
    tags = case.operation.definition.raw.get("tags", [])
    headers = {"Authorization": f"Bearer {keys[_key_prefix(tags)]}"}
    checks = [not_a_server_error, response_schema_conformance]
    case.call_and_validate(headers=headers, checks=checks)
    if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
        return
    # PostgreSQL refuses a NUL in text and jsonb, so a NUL that reaches a query or a write
    # is a 500; hypothesis draws one too rarely in a few dozen examples, and mostly in
    # requests already refused for another reason. So a valid request is sent again with a
    # NUL in one of its strings or keys (which one: a checksum of the request, stable
    # across runs, unlike hash()).
    drawn = repr((case.query, case.body)).encode()
    for location in ("query", "body"):
        as_drawn = getattr(case, location)
        variants = _nul_variants(as_drawn)
        if variants:
            setattr(case, location, variants[zlib.crc32(drawn) % len(variants)])
            case.call_and_validate(headers=headers, checks=checks)
            setattr(case, location, as_drawn)
