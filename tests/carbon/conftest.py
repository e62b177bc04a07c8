import json
import math

import pytest
from ecologits.tracers.utils import llm_impacts

from carbon.book import carbon_book_get
from carbon.factors import carbon_decimal
from carbon.models import MethodologyVersion
from tokentracker import services as tenancy


def grams(value: float) -> float:
    """Grams as every response and stored event carries them: nine decimal places."""
    return float(carbon_decimal(value))


def ecologits_grams(
    provider: str,
    model: str,
    output_tokens: int,
    zone: str | None = None,
    latency_s: float = math.inf,
):
    """EcoLogits called directly: usage-phase GWP (kgCO2e → g) and its range."""
    impacts = llm_impacts(provider, model, output_tokens, latency_s, zone)
    value = impacts.usage.gwp.value
    low, high = (value.min, value.max) if hasattr(value, "min") else (value, value)
    return grams((low + high) / 2 * 1000), grams(low * 1000), grams(high * 1000)


@pytest.fixture
def methodology(db):
    return MethodologyVersion.objects.order_by("-id").first().version


@pytest.fixture
def book(db):
    return carbon_book_get()


@pytest.fixture
def test_key(org):
    return tenancy.api_key_create(organization=org, name="isv test", prefix="isv_test_sk_").raw_key


@pytest.fixture
def live_key(org):
    return tenancy.api_key_create(organization=org, name="isv live", prefix="isv_live_sk_").raw_key


@pytest.fixture
def eager(settings):
    """Tasks run in-process, as on the embedded default (the suite also runs with Redis)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


def post_json(client, path, body, key=None, **headers):
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(path, data, content_type="application/json", **headers)
