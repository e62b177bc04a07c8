"""POST /api/v1/track accepts whole floats, and keeps the fields it does not name."""

import pytest

from tests.carbon.helpers import post_json
from usage.models import UsageEvent

URL = "/api/v1/track"
BODY = {
    "tenant_id": "client-acme",
    "model": "gpt-4o",
    "prompt_tokens": 100,
    "completion_tokens": 50,
}


@pytest.fixture
def track(client, eager, django_capture_on_commit_callbacks):
    """Post a track body; the task that writes its event runs before this returns."""

    def track(body, key):
        with django_capture_on_commit_callbacks(execute=True):
            return post_json(client, URL, body, key=key)

    return track


def test_whole_float_counts_are_tracked_as_integers(track, org, test_key):
    body = {**BODY, "prompt_tokens": 100.0, "completion_tokens": 50.0, "duration_ms": 900.0}
    response = track(body, test_key)
    assert response.status_code == 202, response.content
    assert response.json()["total_tokens"] == 150
    event = UsageEvent.objects.get(organization=org)
    assert (event.input_tokens, event.output_tokens, event.latency_ms) == (100, 50, 900)


@pytest.mark.parametrize("field", ["prompt_tokens", "completion_tokens", "duration_ms"])
def test_a_fractional_count_is_a_400_naming_it(track, org, test_key, field):
    response = track({**BODY, field: 1.5}, test_key)
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        field: "Input should be a valid integer, got a number with a fractional part"
    }
    assert not UsageEvent.objects.exists()


def test_fields_it_does_not_name_are_kept_in_metadata(track, org, test_key):
    body = {**BODY, "feature": "summaries", "region": {"name": "eu"}}
    assert track(body, test_key).status_code == 202
    event = UsageEvent.objects.get(organization=org)
    assert event.metadata == {"feature": "summaries", "region": {"name": "eu"}}


def test_a_nul_character_in_a_kept_field_is_a_400_and_keeps_nothing(track, org, test_key):
    response = track({**BODY, "feature": "a\x00b"}, test_key)
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"metadata": "must not contain NUL characters"}
    assert not UsageEvent.objects.exists()


def test_without_a_key_nothing_is_kept(track, db):
    assert track({**BODY, "feature": "x"}, None).status_code == 401
    assert not UsageEvent.objects.exists()
