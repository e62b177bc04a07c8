"""GET /api/v1/session/{developer_id}/today (carbon-llm, seed 002)."""

from decimal import Decimal

from carbon.estimator import equivalent
from usage.models import UsageEvent
from usage.schemas import EventInput
from usage.services.events import events_record


def record(org, **fields):
    fields.setdefault("provider", "openai")
    fields.setdefault("model", "gpt-4o")
    event = EventInput(input_tokens=100, output_tokens=50, **fields)
    events_record(organization_id=org.id, api_key_id=None, events=[event])


def today(api, key, developer_id):
    return api.get(f"/api/v1/session/{developer_id}/today", key=key)


def test_two_developers_each_see_only_their_own_day(api, org, raw_key, freeze):
    freeze("2026-11-26T15:00:00Z")
    record(org, developer_id="ana", session_id="s1", occurred_at="2026-11-26T09:00:00Z")
    record(org, developer_id="ana", session_id="s1", occurred_at="2026-11-26T09:30:00Z")
    record(
        org,
        developer_id="ana",
        session_id="s2",
        model="gpt-4o-mini",
        occurred_at="2026-11-26T14:00:00Z",
    )
    record(org, developer_id="ana", session_id="s0", occurred_at="2026-11-25T23:59:00Z")
    record(org, developer_id="ben", session_id="s9", occurred_at="2026-11-26T10:00:00Z")

    ana_events = UsageEvent.objects.filter(
        developer_id="ana", occurred_at__gte="2026-11-26T00:00:00Z"
    )
    s1_grams = sum(e.co2e_grams for e in ana_events if e.session_id == "s1")
    s2_grams = sum(e.co2e_grams for e in ana_events if e.session_id == "s2")

    response = today(api, raw_key, "ana")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "developer_id": "ana",
        "today_co2_grams": float(s1_grams + s2_grams),
        "today_prompts": 3,
        "today_tokens": 450,
        "top_model": "gpt-4o",
        "sessions": [
            {
                "id": "s2",
                "session_id": "s2",
                "developer_id": "ana",
                "total_prompt_tokens": 100,
                "total_completion_tokens": 50,
                "total_co2_grams": float(s2_grams),
                "model": "gpt-4o-mini",
                "started_at": "2026-11-26T14:00:00Z",
                "last_activity": "2026-11-26T14:00:00Z",
            },
            {
                "id": "s1",
                "session_id": "s1",
                "developer_id": "ana",
                "total_prompt_tokens": 200,
                "total_completion_tokens": 100,
                "total_co2_grams": float(s1_grams),
                "model": "gpt-4o",
                "started_at": "2026-11-26T09:00:00Z",
                "last_activity": "2026-11-26T09:30:00Z",
            },
        ],
        "equivalent": equivalent(float(s1_grams + s2_grams)),
    }
    assert s1_grams > Decimal(0)

    ben = today(api, raw_key, "ben").json()
    assert ben["today_prompts"] == 1
    assert [row["session_id"] for row in ben["sessions"]] == ["s9"]


def test_a_developer_with_nothing_today_gets_zeros(api, org, raw_key):
    body = today(api, raw_key, "nobody").json()
    assert body == {
        "developer_id": "nobody",
        "today_co2_grams": 0.0,
        "today_prompts": 0,
        "today_tokens": 0,
        "top_model": None,
        "sessions": [],
        "equivalent": "no measurable emissions yet today",
    }


def test_an_encoded_developer_id_is_decoded(api, org, raw_key):
    record(org, developer_id="ana@example.com/laptop", session_id="s1")
    body = today(api, raw_key, "ana%40example.com%2Flaptop").json()
    assert body["developer_id"] == "ana@example.com/laptop"
    assert body["today_prompts"] == 1


def test_an_outsider_sees_nothing_of_another_organizations_developers(
    api, org, raw_key, outsider_key
):
    record(org, developer_id="ana", session_id="s1")
    body = today(api, outsider_key, "ana").json()
    assert body["today_prompts"] == 0
    assert body["sessions"] == []


def test_no_key_is_401(api, db):
    response = today(api, None, "ana")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_a_percent_in_a_developer_id_is_decoded_once(api, org, raw_key):
    record(org, developer_id="a%41", session_id="s1")
    body = today(api, raw_key, "a%2541").json()
    assert body["developer_id"] == "a%41"
    assert body["today_prompts"] == 1


def test_a_nul_in_the_developer_id_is_a_400(api, org, raw_key):
    response = today(api, raw_key, "%00")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
