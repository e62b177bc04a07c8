"""POST /api/v1/observe accepts what SDKs send: whole floats, and fields it does not name."""

import pytest

from usage.models import UsageEvent

from .conftest import observe

pytestmark = pytest.mark.django_db


def test_whole_float_counts_are_stored_as_integers(api, org, tw_key):
    response = observe(
        api, tw_key, inputTokens=1000.0, outputTokens=100.0, latencyMs=420.0, statusCode=200.0
    )
    assert response.status_code == 201, response.content
    # gpt-4o: 1,000 x 2.50 + 100 x 10 per Mtok
    assert (response.json()["inputTokens"], response.json()["cost"]) == (1000, 0.0035)
    event = UsageEvent.objects.get(organization=org)
    assert (event.input_tokens, event.output_tokens, event.latency_ms, event.status_code) == (
        1000,
        100,
        420,
        200,
    )


@pytest.mark.parametrize("field", ["inputTokens", "outputTokens", "cachedInputTokens", "latencyMs"])
def test_a_fractional_count_is_a_400_naming_it(api, org, tw_key, field):
    response = observe(api, tw_key, **{field: 1.5})
    assert response.status_code == 400
    assert response.json() == {
        "error": f"{field}: Input should be a valid integer, got a number with a fractional part"
    }
    assert not UsageEvent.objects.exists()


def test_fields_it_does_not_name_are_kept_in_metadata(api, org, tw_key):
    response = observe(api, tw_key, userId="u-1", sdk={"name": "tokenwise-js"}, tag="chat")
    assert response.status_code == 201
    expected = {"userId": "u-1", "sdk": {"name": "tokenwise-js"}}
    assert UsageEvent.objects.get(organization=org).metadata == expected
    assert response.json()["metadata"] == {**expected, "tag": "chat"}


def test_a_nul_character_in_a_kept_field_is_a_400(api, org, tw_key):
    response = observe(api, tw_key, userId="u\x001")
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]
    assert not UsageEvent.objects.exists()


def test_an_outsider_sees_none_of_the_kept_fields(api, org, outsider_key, tw_key):
    observe(api, tw_key, userId="u-1")
    listed = api.get("/api/v1/public/requests", outsider_key).json()
    assert listed["data"] == []
