"""Issue 13, numbers add up on MyTokenTracker's events door (seed 000): one call per
provider convention and an unknown model, posted as a batch and read back.

The seed types the batch's `total_cost` as a number: it is the priced part, `unpriced`
beside it counts the events it leaves out. Read back, `input_tokens` is echoed as it was
reported (in the provider's convention); `prompt_tokens` is the whole prompt, so
`total_tokens = prompt_tokens + output_tokens` for every provider, and an unpriced event's
costs are null.
"""

import pytest

from tests.api.numbers import COST, EVENTS, EXPECTED, NOW, PRICED_COST, UNPRICED

URL = "/api/v1/events"
pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(api, raw_key, freeze):
    freeze(NOW)
    return api.post(URL, {"events": EVENTS}, raw_key)


def test_a_batch_costs_its_priced_part_with_the_unpriced_count(posted):
    assert posted.status_code == 201, posted.json()
    body = posted.json()
    assert (body["created"], body["total_cost"], body["unpriced"]) == (4, PRICED_COST, UNPRICED)


def test_events_read_back_add_up_per_provider(api, raw_key, posted):
    rows = {row["model"]: row for row in api.get(URL, raw_key).json()["results"]}
    reported = {event["model"]: event["input_tokens"] for event in EVENTS}
    for model, parts in EXPECTED.items():
        row = rows[model]
        assert row["input_tokens"] == reported[model]
        assert (row["prompt_tokens"], row["output_tokens"], row["total_tokens"]) == (
            parts["input"],
            parts["output"],
            parts["total"],
        )
        assert row["total_tokens"] == row["prompt_tokens"] + row["output_tokens"]
        assert row["prompt_tokens"] == (
            row["uncached_input_tokens"] + row["cache_read_tokens"] + row["cache_write_tokens"]
        )
        assert row["total_cost"] == COST[model]
    assert rows["mystery-model"]["cost_source"] == "unpriced"


def test_an_outsider_reads_none_of_them(api, outsider_key, posted):
    assert api.get(URL, outsider_key).json()["results"] == []
