"""Retention (usage.services.retention): an organization's raw events past its retention go
in bounded batches; the rollups, and so every aggregate, stay exactly as they were."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import models
from django.db.models import Sum

from tests.factories import OrganizationFactory
from tokentracker.cache import cache_set
from tokentracker.models import Organization
from usage import rollup_rebuild
from usage.folds import COUNTERS
from usage.models import (
    DailyRollup,
    Eval,
    HourlyRollup,
    IngestReceipt,
    RequestPayload,
    RollupDelta,
    UsageEvent,
)
from usage.rollups import rollups_merge
from usage.schemas import EventInput
from usage.selectors.spend import daily_costs
from usage.services import retention
from usage.services.evals import eval_record
from usage.services.observations import observation_record
from usage.services.retention import events_retention_purge, reconversion_flag_key

pytestmark = pytest.mark.django_db

NOW = "2026-03-31T12:30:00Z"
# 31 days before NOW, at the start of its hour: events before it go.
CUTOFF = datetime(2026, 2, 28, 12, 0, tzinfo=UTC)


def observe(organization, occurred_at, *, payload=None, **fields):
    event = EventInput(
        provider="openai",
        model="gpt-4o",
        input_tokens=fields.pop("input_tokens", 1000),
        output_tokens=fields.pop("output_tokens", 100),
        occurred_at=occurred_at,
        **fields,
    )
    observation = observation_record(
        organization_id=organization.id,
        api_key_id=None,
        event=event,
        input_payload=payload,
        output_payload={"answer": "ok"} if payload else None,
    )
    rollups_merge()
    return observation.event_id


def rollup_totals(organization):
    return {
        model.__name__: model.objects.filter(organization=organization).aggregate(
            **{column: Sum(column) for column in COUNTERS}
        )
        for model in (HourlyRollup, DailyRollup)
    }


@pytest.fixture
def acme(org, freeze):
    freeze(NOW)
    org.payload_storage_enabled = True
    org.event_retention_days = 31
    org.save()
    return org


@pytest.fixture
def history(acme, outsider_org):
    """acme: three events long ago (two with payloads, one scored by an eval), one in the
    last hour before the cutoff, one in the cutoff's hour and one yesterday (with a
    payload). The outsider keeps everything and has the same old events."""
    old = [
        observe(acme, "2026-01-10T10:15:00Z", payload={"prompt": "a"}, total_cost=Decimal("1.25")),
        observe(acme, "2026-01-10T10:45:00Z", payload={"prompt": "b"}),
        observe(acme, "2026-02-01T08:00:00Z", input_tokens=5, output_tokens=7),
    ]
    eval_record(
        organization_id=acme.id,
        event_id=old[0],
        prompt_group_id=uuid.uuid4(),
        overall_score=80,
        scores={},
        judge_model="gpt-4o",
    )
    last_gone = observe(acme, "2026-02-28T11:59:59Z")
    first_kept = observe(acme, "2026-02-28T12:00:00Z")
    recent = observe(acme, "2026-03-30T09:00:00Z", payload={"prompt": "c"})
    outsider_org.payload_storage_enabled = True
    outsider_org.save()
    for moment in ("2026-01-10T10:15:00Z", "2026-02-01T08:00:00Z"):
        observe(outsider_org, moment, payload={"prompt": "theirs"})
    return {"old": [*old, last_gone], "kept": [first_kept, recent]}


def test_events_past_the_retention_go_and_every_total_stays(acme, outsider_org, history):
    totals_before = rollup_totals(acme)
    costs_before = daily_costs(
        organization_id=acme.id, start=datetime(2026, 1, 1).date(), end=datetime(2026, 3, 31).date()
    )
    outsider_before = rollup_totals(outsider_org)

    purges = events_retention_purge()

    (purge,) = purges
    assert (purge.organization_id, purge.events, purge.cutoff) == (acme.id, 4, CUTOFF)
    remaining = set(UsageEvent.objects.filter(organization=acme).values_list("uuid", flat=True))
    assert remaining == set(history["kept"])
    # The payloads of the deleted events went with them; the kept event's stays.
    outsider_events = UsageEvent.objects.filter(organization=outsider_org)
    assert set(RequestPayload.objects.values_list("event__organization", "event_id")) == {
        (acme.id, history["kept"][1]),
        *((outsider_org.id, event) for event in outsider_events.values_list("uuid", flat=True)),
    }
    # The eval stays, no longer tied to the call it scored.
    assert list(Eval.objects.values_list("organization", "event_id")) == [(acme.id, None)]
    assert rollup_totals(acme) == totals_before
    assert totals_before["HourlyRollup"]["events"] == 6
    assert totals_before["HourlyRollup"]["cost"] > Decimal("1.25")
    assert (
        daily_costs(
            organization_id=acme.id,
            start=datetime(2026, 1, 1).date(),
            end=datetime(2026, 3, 31).date(),
        )
        == costs_before
    )
    acme.refresh_from_db()
    assert acme.events_purged_before == CUTOFF
    assert UsageEvent.objects.filter(organization=outsider_org).count() == 2
    assert RequestPayload.objects.filter(event__organization=outsider_org).count() == 2
    assert rollup_totals(outsider_org) == outsider_before


def test_a_rebuild_after_the_purge_keeps_the_hours_whose_events_are_gone(acme, history):
    totals_before = rollup_totals(acme)
    events_retention_purge()

    rollup_rebuild.rollups_rebuild(organization_id=acme.id)

    assert rollup_totals(acme) == totals_before
    # The hours before the cutoff are the ones kept: three of them, from the rollups alone.
    assert HourlyRollup.objects.filter(organization=acme, hour__lt=CUTOFF).count() == 3
    assert HourlyRollup.objects.filter(organization=acme, hour__gte=CUTOFF).count() == 2


def test_a_late_event_before_the_horizon_keeps_its_pending_delta_through_a_rebuild(
    acme, history, monkeypatch
):
    events_retention_purge()
    # Sent late, for an hour whose events are gone: its delta is not merged yet.
    monkeypatch.setattr("usage.services.events.rollups_merge_soon", lambda: None)
    observation_record(
        organization_id=acme.id,
        api_key_id=None,
        event=EventInput(
            provider="openai",
            model="gpt-4o",
            input_tokens=1,
            output_tokens=1,
            occurred_at="2026-01-10T10:30:00Z",
        ),
    )
    rollup_rebuild.rollups_rebuild(organization_id=acme.id)
    assert RollupDelta.objects.filter(organization=acme).count() == 1
    rollups_merge()
    hour = HourlyRollup.objects.get(organization=acme, hour=datetime(2026, 1, 10, 10, tzinfo=UTC))
    assert hour.events == 3


def test_an_organization_that_keeps_everything_or_longer_is_untouched(acme, history):
    acme.event_retention_days = None
    acme.save()
    other = OrganizationFactory(slug="longer", event_retention_days=3650)
    observe(other, "2026-01-10T10:15:00Z")

    purges = events_retention_purge()

    assert [(purge.organization_id, purge.events) for purge in purges] == [(other.id, 0)]
    assert UsageEvent.objects.filter(organization=acme).count() == 6
    assert UsageEvent.objects.filter(organization=other).count() == 1
    assert Organization.objects.get(pk=acme.pk).events_purged_before is None
    assert Organization.objects.get(pk=other.pk).events_purged_before is None


def test_idempotency_receipts_of_the_same_age_go(acme, outsider_org):
    for organization, key, created_at in (
        (acme, "old", datetime(2026, 1, 1, tzinfo=UTC)),
        (acme, "new", datetime(2026, 3, 30, tzinfo=UTC)),
        (outsider_org, "old", datetime(2026, 1, 1, tzinfo=UTC)),
    ):
        receipt = IngestReceipt.objects.create(
            organization=organization, key=key, request_digest="d", response={}
        )
        IngestReceipt.objects.filter(pk=receipt.pk).update(created_at=created_at)

    (purge,) = events_retention_purge()

    assert (purge.events, purge.receipts) == (0, 1)
    assert set(IngestReceipt.objects.values_list("organization", "key")) == {
        (acme.id, "new"),
        (outsider_org.id, "old"),
    }


def test_batches_take_turns_so_a_large_backlog_does_not_hold_up_the_others(
    acme, outsider_org, monkeypatch
):
    outsider_org.event_retention_days = 31
    outsider_org.save()
    for _ in range(5):
        observe(acme, "2026-01-10T10:15:00Z")
    for _ in range(3):
        observe(outsider_org, "2026-01-10T10:15:00Z")
    turns = []
    real_batch = retention.events_purge_batch

    def spy(purge, *, batch_size):
        turns.append(purge.organization_id)
        return real_batch(purge, batch_size=batch_size)

    monkeypatch.setattr(retention, "events_purge_batch", spy)

    purges = events_retention_purge(batch_size=2, max_batches=2)

    assert turns == [acme.id, outsider_org.id, acme.id, outsider_org.id]
    assert [(purge.organization_id, purge.events) for purge in purges] == [
        (acme.id, 4),
        (outsider_org.id, 3),
    ]
    # What one run could not reach goes in the next.
    assert UsageEvent.objects.filter(organization=acme).count() == 1
    events_retention_purge(batch_size=2, max_batches=2)
    assert not UsageEvent.objects.exists()


def test_one_organizations_failure_does_not_stop_the_others(acme, outsider_org, monkeypatch):
    outsider_org.event_retention_days = 31
    outsider_org.save()
    observe(acme, "2026-01-10T10:15:00Z")
    observe(outsider_org, "2026-01-10T10:15:00Z")
    real_batch = retention.events_purge_batch

    def failing_for_acme(purge, *, batch_size):
        if purge.organization_id == acme.id:
            raise RuntimeError("disk full")
        return real_batch(purge, batch_size=batch_size)

    monkeypatch.setattr(retention, "events_purge_batch", failing_for_acme)

    events_retention_purge()

    assert UsageEvent.objects.filter(organization=acme).count() == 1
    assert UsageEvent.objects.filter(organization=outsider_org).count() == 0


def test_events_waiting_to_be_converted_again_are_not_deleted(acme, history):
    # The reporting currency changed and the events are not converted yet: the rebuild
    # that follows the conversion must still find them.
    Organization.objects.filter(pk=acme.pk).update(reporting_currency="EUR")

    (purge,) = events_retention_purge()

    assert purge.events == 0
    assert UsageEvent.objects.filter(organization=acme).count() == 6
    assert Organization.objects.get(pk=acme.pk).events_purged_before is None


def test_nothing_is_deleted_while_a_reconversion_runs(acme, history):
    cache_set(reconversion_flag_key(acme.id), 1, 60)

    (purge,) = events_retention_purge()

    assert purge.events == 0
    assert UsageEvent.objects.filter(organization=acme).count() == 6


def test_an_organization_being_deleted_is_left_to_its_deletion(acme, history):
    Organization.objects.filter(pk=acme.pk).update(deletion_requested_at=datetime.now(UTC))
    assert events_retention_purge() == []
    assert UsageEvent.objects.filter(organization=acme).count() == 6


def test_what_points_at_an_event_is_what_the_purge_expects():
    # A new model pointing at UsageEvent must decide what happens to it when retention
    # deletes the event (and be added to the purge's tests and the README).
    related = {
        (relation.related_model, relation.on_delete)
        for relation in UsageEvent._meta.related_objects
    }
    assert related == {(RequestPayload, models.CASCADE), (Eval, models.SET_NULL)}


def test_the_purge_runs_every_night():
    entry = settings.CELERY_BEAT_SCHEDULE["events-retention-purge"]
    assert entry["task"] == "usage.tasks.events_retention_purge_task"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {30})


def test_the_task_purges(acme, history):
    from usage.tasks import events_retention_purge_task

    assert events_retention_purge_task.apply().get() == 4
    assert UsageEvent.objects.filter(organization=acme).count() == 2


def test_the_cutoff_is_whole_hours_before_now():
    now = datetime(2026, 3, 31, 12, 30, 15, tzinfo=UTC)
    assert retention.retention_cutoff(days=31, now=now) == CUTOFF
    assert retention.retention_cutoff(days=31, now=now) == (now - timedelta(days=31)).replace(
        minute=0, second=0
    )
