"""A cache outage slows requests down; it never loses an accepted event."""

from unittest import mock

import pytest
from django.core.cache import cache

from usage.models import UsageEvent

pytestmark = pytest.mark.django_db


def test_ingest_still_works_when_the_cache_is_down(api, org, raw_key):
    broken = ConnectionError("cache down")
    with (
        mock.patch.object(cache, "get", side_effect=broken),
        mock.patch.object(cache, "set", side_effect=broken),
        mock.patch.object(cache, "add", side_effect=broken),
    ):
        response = api.post(
            "/api/v1/events",
            {"provider": "openai", "model": "gpt-4o", "input_tokens": 1000, "output_tokens": 0},
            raw_key,
        )
    assert response.status_code == 201
    assert response.json()["total_cost"] == 0.0025
    assert UsageEvent.objects.count() == 1
