"""Each breakdown row beside the previous period (issue 20): the explorer's breakdowns and
dimension tables, the overview's top models and providers and the carbon page's models,
every previous figure equal to the raw events' sums, from one grouped read per table
family; `compare=0` shows no such columns and reads nothing more."""

import html
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from tokentracker.models import Role
from usage.models import UsageEvent
from usage.templatetags.usage_format import grams, money

pytestmark = pytest.mark.django_db

# A finished window (today is 21 March) and the five days before it it is compared with.
WINDOW = {"start_date": "2026-03-10", "end_date": "2026-03-14"}
NOW_SPAN = (datetime(2026, 3, 10, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC))
BEFORE_SPAN = (datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC))
CAPTION = "compared with the previous period, 2026-03-05 to 2026-03-09"

EVENTS = [
    # gpt-4o: twice now (ann, bob), twice before (ann, bob).
    {"occurred_at": "2026-03-11T09:00:00Z", "input_tokens": 4000, "output_tokens": 1000,
     "developer_id": "ann"},
    {"occurred_at": "2026-03-13T09:00:00Z", "input_tokens": 2000, "output_tokens": 300,
     "developer_id": "bob"},
    {"occurred_at": "2026-03-06T09:00:00Z", "input_tokens": 1000, "output_tokens": 200,
     "developer_id": "ann"},
    {"occurred_at": "2026-03-08T09:00:00Z", "input_tokens": 3000, "output_tokens": 900,
     "developer_id": "bob"},
    # claude-sonnet-4-5: only now (new), by ann.
    {"provider": "anthropic", "model": "claude-sonnet-4-5", "occurred_at": "2026-03-12T10:00:00Z",
     "input_tokens": 1000, "output_tokens": 400, "developer_id": "ann"},
    # An unpriced model now; o4-mini only before (not a row).
    {"provider": "mistral", "model": "mystery-model", "occurred_at": "2026-03-12T11:00:00Z",
     "input_tokens": 100, "output_tokens": 100},
    {"model": "o4-mini", "occurred_at": "2026-03-07T10:00:00Z", "input_tokens": 500,
     "output_tokens": 500, "developer_id": "ann"},
]  # fmt: skip


@pytest.fixture
def compared_events(now, record):
    record(*EVENTS)


def raw(span, **narrowing) -> dict:
    start, end = span
    sums = UsageEvent.objects.filter(
        occurred_at__gte=start, occurred_at__lt=end, **narrowing
    ).aggregate(cost=Sum("total_cost"), co2e=Sum("co2e_grams"))
    return {
        "cost": Decimal(str(sums["cost"] or 0)),
        "co2e": Decimal(str(sums["co2e"] or 0)).quantize(Decimal("0.000000001")),
    }


def row_html(content: str, marker: str) -> str:
    return content[content.index(marker) :].split("</tr>")[0]


def cells(row: str) -> list[str]:
    return [
        html.unescape(re.sub(r"<[^>]+>", "", cell))
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)
    ]


def breakdown(response, dimension: str) -> dict:
    found = next(b for b in response.context["breakdowns"] if b.dimension == dimension)
    return {value: (totals, versus) for value, totals, versus in found.compared}


def test_explorer_by_model_rows_show_the_previous_spend_and_change(
    client, sign_in, org, compared_events
):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", WINDOW)
    rows = breakdown(response, "model")
    assert set(rows) == {"gpt-4o", "claude-sonnet-4-5", "mystery-model"}  # no o4-mini
    now, before = raw(NOW_SPAN, model="gpt-4o"), raw(BEFORE_SPAN, model="gpt-4o")
    _, versus = rows["gpt-4o"]
    assert (versus.cost.current, versus.cost.previous) == (now["cost"], before["cost"])
    # $0.02 + $0.008 now; $0.0045 + $0.0165 before.
    assert (now["cost"], before["cost"]) == (Decimal("0.028"), Decimal("0.021"))
    assert versus.cost.difference == Decimal("0.007")
    content = response.content.decode()
    assert f"Spend {CAPTION}; model values with usage only then are not listed." in content
    assert '<th scope="col" class="num">Spend before</th>' in content
    assert '<th scope="col" class="num">Change</th>' in content
    by_model = content[content.index('id="by-model"') :]
    assert cells(row_html(by_model, ">gpt-4o</a>"))[-2:] == ["$0.021", "+$0.007 (+33%)"]
    # No events before: "new", and "none" rather than a $0.00 it never spent.
    _, versus = rows["claude-sonnet-4-5"]
    assert versus.cost.previous == 0 and versus.cost.is_new
    assert cells(row_html(by_model, ">claude-sonnet-4-5</a>"))[-2:] == ["none", "new"]
    # All unpriced now: no change, with the reason.
    assert cells(row_html(by_model, ">mystery-model</a>"))[-1] == (
        "not compared: this period's spend is all unpriced"
    )


def test_a_dimension_table_under_a_developer_filter_compares_that_developers_usage(
    client, sign_in, org, compared_events
):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", {**WINDOW, "developer": "ann"})
    table = next(t for t in response.context["dimension_tables"] if t.dimension == "developer")
    rows = {value: versus for value, _, versus in table.compared}
    assert set(rows) == {"ann"}
    now, before = raw(NOW_SPAN, developer_id="ann"), raw(BEFORE_SPAN, developer_id="ann")
    assert (rows["ann"].cost.current, rows["ann"].cost.previous) == (now["cost"], before["cost"])
    # gpt-4o + claude now; gpt-4o + o4-mini before.
    assert (now["cost"], before["cost"]) == (Decimal("0.029"), Decimal("0.00725"))
    content = response.content.decode()
    by_developer = content[content.index('id="by-developer"') :]
    assert f"Spend {CAPTION}; developer values" in by_developer
    ratio = f"{float(now['cost'] - before['cost']) / float(before['cost']):+.0%}"
    assert cells(row_html(by_developer, ">ann</a>"))[-2:] == [
        money(before["cost"]),
        f"+{money(now['cost'] - before['cost'])} ({ratio})",
    ]
    # The by-model table is narrowed alike: only ann's gpt-4o request before.
    _, versus = breakdown(response, "model")["gpt-4o"]
    assert versus.cost.previous == raw(BEFORE_SPAN, model="gpt-4o", developer_id="ann")["cost"]


def test_overview_top_models_and_providers_show_the_previous_spend(
    client, sign_in, org, compared_events
):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/", WINDOW)
    models = {keys["model"]: versus for keys, _, versus in response.context["top_models"]}
    before = raw(BEFORE_SPAN, model="gpt-4o")["cost"]
    assert models["gpt-4o"].cost.previous == before == Decimal("0.021")
    assert models["claude-sonnet-4-5"].cost.is_new
    providers = {p: versus for p, _, versus in response.context["top_providers"]}
    # openai before: gpt-4o and o4-mini.
    openai_before = raw(BEFORE_SPAN, provider="openai")["cost"]
    assert providers["openai"].cost.previous == openai_before > before
    content = response.content.decode()
    assert f"Spend {CAPTION}; models with usage only then" in content
    assert f"Spend {CAPTION}; providers with usage only then" in content
    assert cells(row_html(content, ">gpt-4o</a>"))[-2:] == ["$0.021", "+$0.007 (+33%)"]


def test_carbon_by_model_rows_show_the_previous_co2e(client, sign_in, org, compared_events):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/carbon/", WINDOW)
    rows = {keys["model"]: versus for keys, _, versus in response.context["by_model_compared"]}
    now, before = raw(NOW_SPAN, model="gpt-4o")["co2e"], raw(BEFORE_SPAN, model="gpt-4o")["co2e"]
    assert (rows["gpt-4o"].co2e_grams.current, rows["gpt-4o"].co2e_grams.previous) == (
        now,
        before,
    )
    assert before > 0
    assert rows["claude-sonnet-4-5"].co2e_grams.is_new
    content = response.content.decode()
    assert f"CO2e {CAPTION}; models with usage only then" in content
    assert '<th scope="col" class="num">CO2e before</th>' in content
    row = cells(row_html(content, "<td>gpt-4o</td>"))
    assert row[-2] == grams(before)
    ratio = f"{float(now - before) / float(before):+.0%}"
    sign = "+" if now > before else "\N{MINUS SIGN}"
    assert row[-1] == f"{sign}{grams(abs(now - before))} ({ratio})"
    assert cells(row_html(content, "<td>claude-sonnet-4-5</td>"))[-2:] == ["none", "new"]


@pytest.mark.parametrize(
    ("path", "extra_reads"),
    [
        # The previous breakdowns (its totals too) and series, one daily read each, as
        # when only the totals were compared; and each dimension table again (developer,
        # customer), one daily dimension rollup read each.
        ("/o/acme/explorer/", 4),
        # The previous period by model (which gives its totals) and its series.
        ("/o/acme/carbon/", 2),
        # The previous period by model (its totals and the top tables) and its days.
        ("/o/acme/", 2),
    ],
)
def test_compare_off_shows_no_previous_columns_and_reads_no_more(
    client, sign_in, org, compared_events, path, extra_reads
):
    sign_in(org, Role.VIEWER)
    client.get(path, WINDOW)
    with CaptureQueriesContext(connection) as compared:
        on = client.get(path, WINDOW)
    with CaptureQueriesContext(connection) as alone:
        off = client.get(path, {**WINDOW, "compare": "0"})
    assert "Spend before" in on.content.decode() or "CO2e before" in on.content.decode()
    content = off.content.decode()
    assert "before</th>" not in content
    assert "compared with the previous period" not in content
    assert "change_cells" not in content and 'class="num change' not in content
    previous_reads = [
        q["sql"] for q in compared.captured_queries if "2026-03-05" in q["sql"]
    ]  # the previous period's reads name its start
    assert len(previous_reads) == len(compared.captured_queries) - len(alone.captured_queries)
    assert len(previous_reads) == extra_reads


def test_an_outsider_gets_no_comparison_either(client, sign_in, outsider_org, compared_events):
    sign_in(outsider_org, Role.OWNER)
    assert client.get("/o/acme/explorer/", WINDOW).status_code == 404
