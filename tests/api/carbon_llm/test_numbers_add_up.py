"""Issue 13, numbers add up on carbon-llm (seed 002): a developer's day, one session per
provider convention and an unknown model.

`total_prompt_tokens` is the whole prompt (uncached + cache read + cache write: Anthropic
reports its cache apart from its input count), so a session's prompt + completion is its
share of `today_tokens`. The surface shows no money.
"""

import pytest

from tests.api.numbers import EVENTS, EXPECTED, NOW, TOTAL
from tokentracker import services

URL = "/api/v1/session/dev/today"


@pytest.fixture
def calls(record, freeze):
    freeze(NOW)
    record(*EVENTS)


def test_sessions_add_up_to_the_days_tokens_per_provider(api, test_key, calls):
    day = api.get(URL, key=test_key).json()
    assert day["today_tokens"] == TOTAL["total"]
    sessions = {row["model"]: row for row in day["sessions"]}
    assert {
        model: (row["total_prompt_tokens"], row["total_completion_tokens"])
        for model, row in sessions.items()
    } == {model: (parts["input"], parts["output"]) for model, parts in EXPECTED.items()}
    assert day["today_tokens"] == sum(
        row["total_prompt_tokens"] + row["total_completion_tokens"] for row in day["sessions"]
    )


def test_an_outsider_sees_none_of_it(api, outsider_org, calls):
    key = services.api_key_create(
        organization=outsider_org, name="o", prefix="isv_test_sk_"
    ).raw_key
    day = api.get(URL, key=key).json()
    assert (day["today_tokens"], day["sessions"]) == (0, [])
