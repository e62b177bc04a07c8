"""One organization's delta that cannot be merged never holds back another's rollups."""

from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError

from usage.models import DailyRollup, HourlyRollup, RollupDelta, SetAsideDelta, UsageEvent
from usage.rollups import rollups_merge
from usage.schemas import EventInput
from usage.services.events import events_record

pytestmark = pytest.mark.django_db

HOUR = datetime(2026, 11, 1, 10, tzinfo=UTC)
KEY = {
    "hour": HOUR,
    "provider": "openai",
    "model": "gpt-4o",
    "endpoint": "",
    "platform": "",
    "use_case": "",
    "project": "",
    "status": "",
    "outcome": "unknown",
}
# Each value fits its column on its own; twice it does not (bigint, numeric(28, 12), float8).
POISONS = [
    ("input_tokens", 9 * 10**18),
    ("cost", Decimal("9000000000000000")),
    ("quality_sum", 1e308),
]


def poison(organization, column, value, **key):
    """A rollup near its column's limit and a pending delta that would push it over."""
    HourlyRollup.objects.create(organization=organization, **{**KEY, **key}, **{column: value})
    return RollupDelta.objects.create(
        organization=organization, **{**KEY, **key}, events=1, **{column: value}
    )


def ingest(organization, **fields):
    event = {"provider": "anthropic", "model": "claude-sonnet-4-0", "input_tokens": 1000}
    events_record(
        organization_id=organization.id,
        api_key_id=None,
        events=[EventInput(**{**event, "output_tokens": 100, **fields})],
    )


@pytest.mark.parametrize(("column", "value"), POISONS)
def test_a_poisoned_delta_is_set_aside_and_other_organizations_still_converge(
    org, outsider_org, column, value
):
    bad = poison(org, column, value)
    ingest(outsider_org, occurred_at="2026-11-01T10:30:00Z")
    ingest(outsider_org, occurred_at="2026-11-01T11:30:00Z")

    assert rollups_merge() == 2

    assert not RollupDelta.objects.exists()
    outsider_hours = HourlyRollup.objects.filter(organization=outsider_org).order_by("hour")
    assert [(r.hour.hour, r.events, r.input_tokens) for r in outsider_hours] == [
        (10, 1, 1000),
        (11, 1, 1000),
    ]
    assert [
        (r.events, r.input_tokens) for r in DailyRollup.objects.filter(organization=outsider_org)
    ] == [(2, 2000)]
    set_aside = SetAsideDelta.objects.get()
    assert (set_aside.organization_id, set_aside.delta_id, set_aside.events) == (org.id, bad.id, 1)
    assert "range" in set_aside.error or "overflow" in set_aside.error
    # The organization's rollup is as it was, and its daily rollups got nothing of the delta.
    assert getattr(HourlyRollup.objects.get(organization=org), column) == value
    assert not DailyRollup.objects.filter(organization=org).exists()
    assert rollups_merge() == 0


def test_only_the_bad_delta_of_an_organization_is_set_aside(org):
    poison(org, "input_tokens", 9 * 10**18)
    ingest(org, occurred_at="2026-11-01T12:30:00Z")

    assert rollups_merge() == 1

    assert SetAsideDelta.objects.count() == 1
    noon = HourlyRollup.objects.get(organization=org, hour=HOUR.replace(hour=12))
    assert (noon.events, noon.input_tokens) == (1, 1000)


def test_a_connection_error_sets_nothing_aside_and_raises_for_a_retry(org, monkeypatch):
    ingest(org)
    monkeypatch.setattr(
        "usage.rollups._merge",
        lambda family, scope: (_ for _ in ()).throw(OperationalError("gone")),
    )
    with pytest.raises(OperationalError):
        rollups_merge()
    assert RollupDelta.objects.count() == 1
    assert not SetAsideDelta.objects.exists()


def test_set_aside_events_show_in_health_only_to_their_organization(
    api, org, outsider_org, raw_key, outsider_key
):
    poison(org, "input_tokens", 9 * 10**18)
    rollups_merge()

    # One organization's data for an administrator, not a fault of the service: the
    # others' aggregates flow, so the instance stays healthy and says how many.
    response = api.get("/api/health")
    assert response.status_code == 200
    assert response.json()["data"]["services"]["rollups"] == {
        "healthy": True,
        "pending": False,
        "lag_seconds": 0.0,
        "stale_after_seconds": 300,
        "set_aside_events": 1,
    }
    tracking = api.get("/api/tracking-health", raw_key).json()["data"]
    assert tracking["status"] == "unhealthy"
    assert [e["code"] for e in tracking["errors"]] == ["AGGREGATION_SET_ASIDE"]
    assert tracking["errors"][0]["message"].startswith("1 recorded events could not be added")
    outsider = api.get("/api/tracking-health", outsider_key).json()["data"]
    assert outsider["errors"] == []
    assert outsider["status"] != "unhealthy"


def test_health_is_healthy_with_nothing_set_aside(api, org):
    health = api.get("/api/health").json()["data"]["services"]["rollups"]
    assert (health["healthy"], health["set_aside_events"]) == (True, 0)


def test_admin_lists_set_aside_deltas_and_merges_them_again(admin_client, org):
    poison(org, "input_tokens", 9 * 10**18)
    rollups_merge()
    set_aside = SetAsideDelta.objects.get()
    page = admin_client.get("/admin/usage/setasidedelta/")
    assert page.status_code == 200
    assert "out of range" in page.content.decode() or "overflow" in page.content.decode()

    # The cause fixed (here: the rollup that could not take more), the delta merges.
    HourlyRollup.objects.filter(organization=org).update(input_tokens=5)
    response = admin_client.post(
        "/admin/usage/setasidedelta/",
        {"action": "merge_again", "_selected_action": [set_aside.pk]},
    )
    assert response.status_code == 302
    assert not SetAsideDelta.objects.exists()
    assert HourlyRollup.objects.get(organization=org).input_tokens == 5 + 9 * 10**18


def test_a_rebuild_recounts_the_raw_events_and_clears_set_aside_deltas(org):
    poison(org, "input_tokens", 9 * 10**18)
    ingest(org, occurred_at="2026-11-01T10:30:00Z")
    rollups_merge()
    assert SetAsideDelta.objects.count() == 1

    call_command("rebuild_rollups", "--org", org.slug, stdout=StringIO())

    assert not SetAsideDelta.objects.exists()
    rollup = HourlyRollup.objects.get(organization=org)
    assert (rollup.events, rollup.input_tokens) == (1, 1000)


def test_rebuild_reports_an_organization_it_cannot_sum_and_rebuilds_the_others(org, outsider_org):
    ingest(org)
    ingest(outsider_org)
    # Raw events from before the doors refused such values: their sum overflows float8.
    UsageEvent.objects.filter(organization=org).update(quality_score=1e308)
    ingest(org)
    UsageEvent.objects.filter(organization=org).update(quality_score=1e308)
    HourlyRollup.objects.filter(organization=outsider_org).delete()
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError, match="not rebuilt: acme"):
        call_command("rebuild_rollups", stdout=out, stderr=err)

    assert "acme: not rebuilt" in err.getvalue()
    assert "outsider: 1 rollup rows" in out.getvalue()
    assert HourlyRollup.objects.get(organization=outsider_org).events == 1
