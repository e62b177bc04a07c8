"""UsageEvent in Django admin: read-only, and no query reads the whole event table."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import OrganizationFactory
from usage.admin import UsageEventAdmin
from usage.models import UsageEvent
from usage.paging import CappedCountPaginator
from usage.rollups import rollups_merge
from usage.schemas import EventInput
from usage.services.events import events_record

pytestmark = pytest.mark.django_db

EVENTS_TABLE = UsageEvent._meta.db_table


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    return client


@pytest.fixture
def events(org):
    other = OrganizationFactory(slug="other")
    rows = [
        ("2026-01-05T10:00:00Z", "openai", "gpt-4o", org),
        ("2026-01-20T10:00:00Z", "anthropic", "claude-sonnet-4-0", org),
        ("2026-03-02T10:00:00Z", "openai", "gpt-4o-mini", other),
        ("2025-12-31T10:00:00Z", "google", "gemini-2.0-flash", org),
    ]
    for occurred_at, provider, model, organization in rows:
        events_record(
            organization_id=organization.id,
            api_key_id=None,
            events=[
                EventInput(
                    provider=provider,
                    model=model,
                    input_tokens=10,
                    output_tokens=5,
                    occurred_at=occurred_at,
                )
            ],
        )
    rollups_merge()


def _event_queries(captured):
    return [q["sql"] for q in captured.captured_queries if EVENTS_TABLE in q["sql"]]


def test_the_event_list_reads_events_only_with_limits(staff_client, events, monkeypatch):
    monkeypatch.setattr(UsageEventAdmin, "list_per_page", 3)
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get("/admin/usage/usageevent/")
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 3
    assert response.context["cl"].result_count == 4
    event_queries = _event_queries(captured)
    # the capped count and the page itself; no COUNT(*), DISTINCT or MIN/MAX over all events
    assert len(event_queries) == 2, event_queries
    assert all("LIMIT" in sql for sql in event_queries), event_queries


def test_the_date_drill_down_comes_from_the_rollups(staff_client, events, monkeypatch):
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get("/admin/usage/usageevent/")
    content = response.content.decode()
    assert "occurred_at__year=2025" in content
    assert "occurred_at__year=2026" in content
    rollup_queries = [q["sql"] for q in captured.captured_queries if "dailyrollup" in q["sql"]]
    assert len(rollup_queries) == 3  # providers, first and last day, years
    monkeypatch.setattr(UsageEventAdmin, "list_per_page", 2)
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get("/admin/usage/usageevent/", {"occurred_at__year": "2026"})
    content = response.content.decode()
    assert "occurred_at__month=1" in content and "occurred_at__month=3" in content
    assert response.context["cl"].result_count == 3
    assert all("LIMIT" in sql for sql in _event_queries(captured))
    response = staff_client.get(
        "/admin/usage/usageevent/", {"occurred_at__year": "2026", "occurred_at__month": "1"}
    )
    content = response.content.decode()
    assert "occurred_at__day=5" in content and "occurred_at__day=20" in content
    assert response.context["cl"].result_count == 2


def test_the_drill_down_follows_the_organization_filter(staff_client, events, org):
    response = staff_client.get(
        "/admin/usage/usageevent/", {"organization__id__exact": org.pk, "occurred_at__year": "2026"}
    )
    content = response.content.decode()
    assert "occurred_at__month=1" in content
    assert "occurred_at__month=3" not in content
    assert len(response.context["cl"].result_list) == 2


def test_filters_by_provider_cost_source_and_outcome(staff_client, events):
    response = staff_client.get("/admin/usage/usageevent/", {"provider": "openai"})
    assert {e.provider for e in response.context["cl"].result_list} == {"openai"}
    titles = [spec.title for spec in response.context["cl"].filter_specs]
    assert titles == ["organization", "provider", "cost source", "outcome"]
    provider_spec = response.context["cl"].filter_specs[1]
    assert [value for value, _ in provider_spec.lookup_choices] == ["anthropic", "google", "openai"]
    response = staff_client.get("/admin/usage/usageevent/", {"outcome__exact": "unknown"})
    assert len(response.context["cl"].result_list) == 4


def test_search_by_model_prefix_and_by_uuid(staff_client, events):
    response = staff_client.get("/admin/usage/usageevent/", {"q": "GPT-4o"})
    assert {e.model for e in response.context["cl"].result_list} == {"gpt-4o", "gpt-4o-mini"}
    event = UsageEvent.objects.get(model="gpt-4o")
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get("/admin/usage/usageevent/", {"q": str(event.uuid)})
    assert [e.pk for e in response.context["cl"].result_list] == [event.pk]
    # the unique index, not UPPER(uuid::text) = UPPER(...) over every row
    assert all("UPPER" not in sql for sql in _event_queries(captured))


def test_a_search_that_names_nothing_does_not_scan_events(staff_client, events):
    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get("/admin/usage/usageevent/", {"q": "no-such-model"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    assert _event_queries(captured) == []


def test_events_cannot_be_added_changed_or_deleted(staff_client, events):
    event = UsageEvent.objects.first()
    assert staff_client.get("/admin/usage/usageevent/add/").status_code == 403
    detail = staff_client.get(f"/admin/usage/usageevent/{event.pk}/change/")
    assert detail.status_code == 200  # view only
    assert b'name="_save"' not in detail.content
    assert staff_client.post(f"/admin/usage/usageevent/{event.pk}/delete/").status_code == 403
    assert UsageEvent.objects.count() == 4


def test_the_paginator_stops_counting_at_its_cap(events, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "CAP", 3)
    paginator = CappedCountPaginator(UsageEvent.objects.order_by("-pk"), 2)
    assert paginator.count == 3
    assert paginator.num_pages == 2


def test_the_list_is_newest_first_by_when_each_event_happened_not_by_id(staff_client, events):
    # The fixture records January, January, March, then (a backfill) December 2025.
    response = staff_client.get("/admin/usage/usageevent/")
    listed = [event.occurred_at.date().isoformat() for event in response.context["cl"].result_list]
    assert listed == ["2026-03-02", "2026-01-20", "2026-01-05", "2025-12-31"]
    ids = [event.pk for event in response.context["cl"].result_list]
    assert ids != sorted(ids, reverse=True)


def test_costs_are_money_not_twelve_decimal_places(staff_client, events):
    # gpt-4o: 10 input tokens at $2.50 and 5 output at $10 per million: $0.000075.
    response = staff_client.get("/admin/usage/usageevent/", {"provider": "openai"})
    content = response.content.decode()
    assert '<td class="field-total_cost">$0.000075</td>' in content
    assert "0.000075000000" not in content


def test_an_unpriced_event_shows_a_dash_beside_its_cost_source(staff_client, org):
    events_record(
        organization_id=org.id,
        api_key_id=None,
        events=[EventInput(provider="acme", model="in-house-7", input_tokens=1, output_tokens=1)],
    )
    content = staff_client.get("/admin/usage/usageevent/").content.decode()
    assert (
        '<td class="field-total_cost">—</td>'
        '<td class="field-cost_source">Unknown model, not priced</td>'
    ) in content
