"""Helpers for the CodingVibez surface: members signed in by session, events at set times."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from tokentracker.models import Membership, Role
from usage.rollups import rollups_merge
from usage.schemas import EventInput
from usage.services.events import events_record

from .helpers import at


def login(client, org, role):
    user = get_user_model().objects.create_user(username=f"{role}-{org.slug}", password="x")
    Membership.objects.create(user=user, organization=org, role=role)
    client.force_login(user)
    return client


@pytest.fixture
def member_client(client, org):
    """A signed-in member of `org`, no API key: the CodingVibez dashboard's user token."""
    return login(client, org, Role.MEMBER)


@pytest.fixture
def viewer_client(client, org):
    return login(client, org, Role.VIEWER)


@pytest.fixture
def record():
    """Record events for an organization through the ingest service, then merge rollups."""

    def record(organization, *events: dict) -> None:
        inputs = []
        for fields in events:
            fields = dict(fields)
            if isinstance(fields.get("occurred_at"), str):
                fields["occurred_at"] = at(fields["occurred_at"])
            if "total_cost" in fields and fields["total_cost"] is not None:
                fields["total_cost"] = Decimal(str(fields["total_cost"]))
            inputs.append(
                EventInput(
                    **{
                        "provider": "openai",
                        "model": "gpt-4o",
                        "input_tokens": 0,
                        "output_tokens": 0,
                        **fields,
                    }
                )
            )
        events_record(organization_id=organization.id, api_key_id=None, events=inputs)
        rollups_merge()

    return record


@pytest.fixture
def january(org, outsider_org, record):
    """A known month of usage, with neighbours outside it and another organization's spend."""
    record(
        org,
        {"occurred_at": "2025-12-31T23:59:00Z", "input_tokens": 1, "total_cost": 9},
        {
            "occurred_at": "2026-01-05T10:15:00Z",
            "input_tokens": 1000,
            "output_tokens": 500,
            "total_cost": 1,
        },
        {
            "occurred_at": "2026-01-05T23:59:00Z",
            "input_tokens": 2000,
            "cache_read_tokens": 500,
            "total_cost": 2,
        },
        {
            "occurred_at": "2026-01-06T00:00:00Z",
            "provider": "anthropic",
            "model": "claude-sonnet-4-0",
            "input_tokens": 100,
            "output_tokens": 100,
            "total_cost": 0.25,
        },
        {"occurred_at": "2026-01-10T12:00:00Z", "model": "mystery", "input_tokens": 300},
        {
            "occurred_at": "2026-01-31T23:00:00Z",
            "model": "gpt-4o-mini",
            "input_tokens": 10,
            "output_tokens": 10,
            "total_cost": 0.05,
        },
        {"occurred_at": "2026-02-01T00:00:00Z", "input_tokens": 1, "total_cost": 9},
    )
    record(
        outsider_org, {"occurred_at": "2026-01-05T12:00:00Z", "input_tokens": 7, "total_cost": 100}
    )
