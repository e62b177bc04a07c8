"""An organization with a row in every table that can hold its data, and the generic walk
that finds those tables: every model with a path of foreign keys to Organization."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.apps import apps
from django.core.files.base import ContentFile
from django.db import models
from django.utils import timezone

from billing.models import (
    AlertDelivery,
    Budget,
    BudgetAlert,
    DeliveryAttempt,
    Expense,
    ManualCost,
    ProviderCostBucket,
    ProviderIntegration,
    ProviderUsageBucket,
    Receipt,
    SyncRun,
    WebhookEndpoint,
)
from tests.factories import MembershipFactory
from tokentracker.crypto import field_encrypt
from tokentracker.models import (
    DailyEventCount,
    Invitation,
    MonthlyLiveEventCount,
    Organization,
    Role,
)
from tokentracker.services import api_key_create
from tokentracker.services.invitations import invitation_create
from usage.models import (
    DimensionRollupDelta,
    DimensionSetAsideDelta,
    IngestReceipt,
    PendingTrack,
    RollupDelta,
    SetAsideDelta,
)
from usage.rollups import rollups_merge
from usage.schemas import EventInput
from usage.services.evals import eval_record
from usage.services.events import events_record
from usage.services.observations import observation_record
from usage.sessions.models import SessionDelta
from usage.sessions.summaries import session_summaries_merge


def paths_to_organization() -> dict[type[models.Model], str]:
    """Each model with a chain of foreign keys (or one-to-one fields) ending at
    Organization, and the lookup that follows it (`event__organization`); every app,
    including models added after this test was written."""
    paths: dict[type[models.Model], str] = {Organization: "pk"}
    changed = True
    while changed:
        changed = False
        for model in apps.get_models():
            if model in paths:
                continue
            for field in model._meta.concrete_fields:
                target = field.related_model if field.is_relation else None
                if target in paths and target is not model:
                    rest = paths[target]
                    paths[model] = field.name if rest == "pk" else f"{field.name}__{rest}"
                    changed = True
                    break
    return paths


def rows_of(organization_id: int) -> dict[str, int]:
    """How many rows of each such model belong to the organization."""
    return {
        model._meta.label: model._base_manager.filter(**{path: organization_id}).count()
        for model, path in paths_to_organization().items()
    }


def _delta(organization: Organization) -> dict:
    return {
        "organization": organization,
        "hour": datetime(2026, 3, 1, 10, tzinfo=UTC),
        "provider": "openai",
        "model": "gpt-4o",
        "outcome": "unknown",
        "events": 1,
    }


def rollup_delta_add(organization: Organization) -> None:
    """A rollup, dimension and session delta waiting for the next merge: added once every
    organization is populated, since populating one merges every organization's pending
    deltas."""
    RollupDelta.objects.create(**_delta(organization))
    DimensionRollupDelta.objects.create(**_dimension_delta(organization))
    moment = datetime(2026, 3, 1, 10, tzinfo=UTC)
    SessionDelta.objects.create(
        organization=organization, session_id="pending", first_at=moment, last_at=moment
    )


def _dimension_delta(organization: Organization) -> dict:
    delta = {**_delta(organization), "dimension": "developer", "value": "=dev"}
    del delta["outcome"]
    return delta


def organization_populate(organization: Organization, *, tag: str) -> dict:
    """At least one row in every model that belongs to an organization today (but the
    pending rollup delta, `rollup_delta_add`); returns the receipt's file, the owner and
    the raw API key."""
    owner = MembershipFactory(organization=organization, role=Role.OWNER)
    MembershipFactory(organization=organization, role=Role.MEMBER)
    organization.payload_storage_enabled = True
    organization.save()
    key = api_key_create(organization=organization, name=f"{tag} key", created_by=owner.user)
    invitation_create(
        invited_by=owner,
        email=f"new-{tag}@example.com",
        role=Role.MEMBER,
        base_url="http://testserver",
    )
    assert Invitation.objects.filter(organization=organization).exists()
    DailyEventCount.objects.create(organization=organization, day=date(2026, 3, 1), events=3)
    MonthlyLiveEventCount.objects.create(
        organization=organization, month=date(2026, 3, 1), events=3
    )

    event = EventInput(
        provider="openai",
        model="gpt-4o",
        input_tokens=1000,
        output_tokens=100,
        developer_id=f"dev-{tag}",
        occurred_at="2026-03-01T10:00:00Z",
    )
    observed = observation_record(
        organization_id=organization.id,
        api_key_id=key.api_key.id,
        event=event,
        input_payload={"prompt": tag},
        output_payload={"answer": tag},
    )
    events_record(
        organization_id=organization.id,
        api_key_id=key.api_key.id,
        events=[event.model_copy(update={"session_id": f"{tag}-session"})],
        idempotency_key=f"{tag}-retry",
    )
    rollups_merge()
    session_summaries_merge()
    SetAsideDelta.objects.create(**_delta(organization), delta_id=1, error="out of range")
    DimensionSetAsideDelta.objects.create(
        **_dimension_delta(organization), delta_id=1, error="out of range"
    )
    eval_record(
        organization_id=organization.id,
        event_id=observed.event_id,
        prompt_group_id=uuid.uuid4(),
        overall_score=70,
        scores={"relevance": 70},
        judge_model="gpt-4o",
    )
    PendingTrack.objects.create(
        event_id=f"trk_{tag}",
        organization=organization,
        api_key=key.api_key,
        event={"provider": "openai", "model": "gpt-4o"},
        energy_wh=Decimal("0.1"),
        co2e_grams=Decimal("0.05"),
        methodology_version="v1",
        received_at=timezone.now(),
    )
    assert IngestReceipt.objects.filter(organization=organization).exists()

    ManualCost.objects.create(
        organization=organization, service="openai", amount=10, currency="USD", month=3, year=2026
    )
    budget = Budget.objects.create(
        organization=organization,
        name="Key budget",
        scope="api_key",
        api_key=key.api_key,
        amount=100,
        currency="USD",
    )
    alert = BudgetAlert.objects.create(
        organization=organization,
        budget=budget,
        period=date(2026, 3, 1),
        kind="threshold",
        threshold=50,
        spent=60,
        budget_amount=100,
        currency="USD",
    )
    endpoint = WebhookEndpoint.objects.create(
        organization=organization,
        name="ops",
        kind="webhook",
        url_ciphertext=field_encrypt("https://hooks.example.com/x"),
        url_shown="https://hooks.example.com/…",
        secret_ciphertext=field_encrypt("whsec_x"),
    )
    delivery = AlertDelivery.objects.create(
        organization=organization,
        alert=alert,
        event_type="budget.threshold_crossed",
        channel="webhook",
        endpoint=endpoint,
        target="https://hooks.example.com/…",
        message_id=f"msg_{tag}",
        payload={},
    )
    DeliveryAttempt.objects.create(delivery=delivery, number=1, started_at=timezone.now())
    expense = Expense.objects.create(
        organization=organization, status="draft", source="receipt", vendor="OpenAI"
    )
    receipt = Receipt(
        organization=organization,
        expense=expense,
        content_type="image/png",
        size=4,
        sha256="0" * 64,
    )
    receipt.file.save("receipt.png", ContentFile(b"\x89PNG"), save=False)
    receipt.save()
    integration = ProviderIntegration.objects.create(
        organization=organization,
        provider="openai",
        key_ciphertext=field_encrypt("sk-admin-" + "x" * 40),
        key_last_four="xxxx",
    )
    SyncRun.objects.create(integration=integration, trigger="page", started_at=timezone.now())
    ProviderUsageBucket.objects.create(
        organization=organization,
        provider="openai",
        start=datetime(2026, 3, 1, tzinfo=UTC),
        width="1d",
        input_tokens=5,
    )
    ProviderCostBucket.objects.create(
        organization=organization,
        provider="openai",
        day=date(2026, 3, 1) - timedelta(days=1),
        amount=Decimal("1.5"),
        currency="USD",
    )
    return {"receipt_file": receipt.file.path, "owner": owner, "raw_key": key.raw_key}
