from datetime import timedelta

import pytest
from django.utils import timezone

from tokentracker import services as tenancy
from tokentracker.models import Plan


@pytest.fixture
def tw_key(org):
    """A key as Tokenwise mints them (`tw_api_...`)."""
    return tenancy.api_key_create(organization=org, name="tokenwise", prefix="tw_api_").raw_key


@pytest.fixture
def tiny_plan(org):
    plan = Plan.objects.create(slug="tiny", name="Tiny", hourly_request_limit=3)
    org.plan = plan
    org.save(update_fields=["plan"])
    return plan


@pytest.fixture
def payloads_on(org):
    org.payload_storage_enabled = True
    org.save(update_fields=["payload_storage_enabled"])
    return org


def ago(**delta):
    """An ISO timestamp `delta` before now, as a client would send it."""
    return (timezone.now() - timedelta(**delta)).isoformat().replace("+00:00", "Z")


def record_event(api, key, **fields):
    """Seed an event through the native door, which lets a test choose `occurred_at`."""
    body = {"provider": "openai", "model": "gpt-4o", "input_tokens": 10, "output_tokens": 5}
    response = api.post("/api/v1/events", {**body, **fields}, key)
    assert response.status_code == 201, response.json()


def observe(api, key, **fields):
    body = {
        "provider": "openai",
        "model": "gpt-4o",
        "inputTokens": 1000,
        "outputTokens": 100,
        "latencyMs": 420,
        "status": "success",
        "statusCode": 200,
        **fields,
    }
    return api.post("/api/v1/observe", body, key)
