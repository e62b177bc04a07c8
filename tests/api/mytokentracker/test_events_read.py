"""GET /api/v1/events: the caller's own events only, paginated, filtered."""

import pytest

from tokentracker import services as tenancy
from tokentracker.models import ApiKeyScope

URL = "/api/v1/events"
pytestmark = pytest.mark.django_db


def record(api, key, **fields):
    body = {
        "provider": "openai",
        "model": "gpt-4o",
        "input_tokens": 10,
        "output_tokens": 5,
        **fields,
    }
    assert api.post(URL, body, key).status_code == 201


def test_list_returns_only_the_callers_events(api, raw_key, outsider_key):
    record(api, raw_key, project="ours")
    record(api, outsider_key, project="theirs")
    response = api.get(URL, raw_key)
    assert response.status_code == 200
    assert [e["project"] for e in response.json()["results"]] == ["ours"]


def test_an_outsider_cannot_read_another_orgs_event(api, raw_key, outsider_key):
    record(api, raw_key)
    event_id = api.get(URL, raw_key).json()["results"][0]["id"]
    assert api.get(f"{URL}/{event_id}", raw_key).status_code == 200
    response = api.get(f"{URL}/{event_id}", outsider_key)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_events_cannot_be_changed_or_deleted_through_the_api(api, client, raw_key, outsider_key):
    record(api, raw_key)
    event_id = api.get(URL, raw_key).json()["results"][0]["id"]
    for method in (client.put, client.patch, client.delete):
        response = method(
            f"{URL}/{event_id}",
            {},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {outsider_key}",
        )
        assert response.status_code == 405
    assert api.get(f"{URL}/{event_id}", raw_key).json()["total_tokens"] == 15


def test_list_needs_a_key(api, raw_key):
    response = api.get(URL)
    assert response.status_code == 401


def test_a_read_only_key_can_list(api, org, raw_key):
    record(api, raw_key)
    read_key = tenancy.api_key_create(organization=org, name="r", scope=ApiKeyScope.READ)
    assert len(api.get(URL, read_key.raw_key).json()["results"]) == 1


def test_list_filters_and_paginates(api, raw_key):
    for hour in range(5):
        record(api, raw_key, occurred_at=f"2026-11-01T0{hour}:00:00Z", project=f"p{hour % 2}")
    page = api.get(URL, raw_key, limit=2).json()
    assert [e["occurred_at"] for e in page["results"]] == [
        "2026-11-01T04:00:00Z",
        "2026-11-01T03:00:00Z",
    ]
    next_page = api.client.get(page["next"], HTTP_AUTHORIZATION=f"Bearer {raw_key}").json()
    assert [e["occurred_at"] for e in next_page["results"]] == [
        "2026-11-01T02:00:00Z",
        "2026-11-01T01:00:00Z",
    ]
    filtered = api.get(URL, raw_key, project="p1").json()["results"]
    assert len(filtered) == 2
    ranged = api.get(URL, raw_key, occurred_after="2026-11-01T03:00:00Z").json()["results"]
    assert len(ranged) == 2


def test_an_offset_postgresql_cannot_store_is_read_as_utc(api, raw_key):
    # ISO 8601 allows offsets up to 23:59, PostgreSQL up to 15:59 (the fuzz step found the
    # 500). 22:30+18:59 is 03:31 UTC, 21:30+18:59 is 02:31.
    record(api, raw_key, occurred_at="2026-11-01T03:00:00Z")
    ranged = api.get(URL, raw_key, occurred_before="2026-11-01T22:30:00+18:59")
    assert ranged.status_code == 200
    assert [e["occurred_at"] for e in ranged.json()["results"]] == ["2026-11-01T03:00:00Z"]
    empty = api.get(URL, raw_key, occurred_before="2026-11-01T21:30:00+18:59")
    assert empty.json()["results"] == []


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:00-12:00"])
def test_a_moment_outside_the_calendar_in_utc_is_a_422(api, raw_key, moment):
    response = api.get(URL, raw_key, occurred_after=moment)
    assert response.status_code == 422
    assert "occurred_after" in response.json()["error"]["details"]


def test_a_bad_filter_is_a_422(api, raw_key):
    response = api.get(URL, raw_key, occurred_after="not-a-date")
    assert response.status_code == 422
    assert "occurred_after" in response.json()["error"]["details"]


def test_list_query_count_does_not_grow_with_rows(api, raw_key, django_assert_max_num_queries):
    for _ in range(20):
        record(api, raw_key)
    with django_assert_max_num_queries(3):
        response = api.get(URL, raw_key, limit=20)
    assert len(response.json()["results"]) == 20
