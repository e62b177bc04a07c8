"""Issue 13, numbers add up on the dashboard: one call per provider convention and an
unknown model, on the overview and the explorer (the request page lists the parts apart).

Pages read the same `UsageTotals` as the API: tokens are the whole prompt plus output, a
spend of only unpriced calls reads "unpriced" (never $0), any other the priced part with
"+ N unpriced".
"""

import pytest

from tests.api.numbers import EVENTS, EXPECTED, NOW, TOTAL
from tokentracker.models import Role

pytestmark = pytest.mark.django_db

WINDOW = {"start_date": "2026-03-20", "end_date": "2026-03-20"}


@pytest.fixture
def calls(record, freeze):
    freeze(NOW)
    record(*EVENTS)


def test_explorer_rows_and_tables_add_up_per_provider(client, sign_in, org, calls):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", WINDOW)
    assert response.status_code == 200
    totals = response.context["totals"]
    assert (totals.prompt_tokens, totals.output_tokens, totals.total_tokens) == (
        TOTAL["input"],
        TOTAL["output"],
        TOTAL["total"],
    )
    for row in response.context["logs"]:
        parts = EXPECTED[row["model"]]
        assert (row["log_prompt_tokens"], row["output_tokens"], row["total_tokens"]) == (
            parts["input"],
            parts["output"],
            parts["total"],
        )
    models = dict(next(b.rows for b in response.context["breakdowns"] if b.dimension == "model"))
    assert models["mystery-model"].priced_cost is None
    content = response.content.decode()
    assert "$0.07128" in content
    assert "+ 1 unpriced" in content
    assert '<span class="badge neutral" title="No price is known for these models">unpriced' in (
        content
    )


def test_overview_burn_rate_counts_the_priced_part_and_says_what_it_leaves_out(
    client, sign_in, org, calls
):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/")
    burn = response.context["summary"].burn
    assert burn.totals.events == 4
    assert str(burn.cost_per_day.normalize()) == "0.07128"
    assert "; 1 unpriced not counted" in response.content.decode()


def test_a_burn_rate_of_only_unpriced_calls_is_unpriced_not_zero(
    client, sign_in, org, record, freeze
):
    freeze(NOW)
    record(EVENTS[-1])
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/")
    burn = response.context["summary"].burn
    assert (burn.cost_per_day, burn.cost_per_hour) == (None, None)
    content = response.content.decode()
    assert "no priced spend; 1 unpriced not counted" in content
    assert "$0.00/hour" not in content
