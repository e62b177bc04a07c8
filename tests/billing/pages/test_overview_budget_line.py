"""The overview's chart of the month against the budget: spend to date, the organization's
budget, and the projection with its p10-p90 range to the month's end (drawn by billing
through usage's month chart extension point)."""

import json
from datetime import date, timedelta

import pytest

from billing.models import BudgetScope
from billing.selectors.budgets import organization_projection
from tests.billing.pages.conftest import budget_of
from tests.billing.pages.test_budgets_page import NOW_DATETIME
from tokentracker.models import Role
from usage.selectors.month_charts import PROVIDERS
from usage.templatetags.usage_format import money

pytestmark = pytest.mark.django_db

MARCH = [(date(2026, 3, 1) + timedelta(days=n)).isoformat() for n in range(31)]


def _lines(chart: dict) -> dict[str, list]:
    return {line["label"]: line["values"] for line in chart["lines"]}


def _chart_json(content: str, chart_id: str = "month-chart-1") -> dict:
    data = content.split(f'<script id="{chart_id}" type="application/json">')[1]
    return json.loads(data.split("</script>")[0])


def test_the_overview_draws_spend_to_date_against_the_organization_budget(
    client, sign_in, org, spend
):
    budget_of(org, "Team", "100")
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/")
    [chart] = response.context["month_charts"]
    assert chart.title == "This month against budget"
    data = chart.script_data
    assert (data["currency"], data["labels"]) == ("USD", MARCH)
    lines = _lines(data)
    assert list(lines) == ["Spent", "Budget", "Projection", "p10", "p90"]
    # Cumulative: the $20 manual cost from the 1st, then $10 (2nd), $5 (10th), $15 (20th);
    # nothing drawn after today, the 21st.
    assert lines["Spent"] == [20.0] + [30.0] * 8 + [35.0] * 10 + [50.0] * 2 + [None] * 10
    assert lines["Budget"] == [100.0] * 31
    # The projection leaves today's spend and reaches the month-end estimate on the 31st,
    # between p10 and p90.
    projection = organization_projection(org.id, now=NOW_DATETIME)
    assert projection.spent == 50
    for label, end in (
        ("Projection", projection.estimate),
        ("p10", projection.low),
        ("p90", projection.high),
    ):
        assert lines[label][:20] == [None] * 20, label
        assert (lines[label][20], lines[label][30]) == (50.0, float(end)), label
        steps = [b - a for a, b in zip(lines[label][20:], lines[label][21:], strict=False)]
        assert steps == pytest.approx([(float(end) - 50) / 10] * 10), label
    content = response.content.decode()
    assert _chart_json(content) == data
    assert (
        "<dt>Spent</dt><dd>$50.00</dd><dt>Budget</dt><dd>$100.00</dd>"
        f"<dt>Projection</dt><dd>{money(projection.estimate)}</dd>"
        f"<dt>p10</dt><dd>{money(projection.low)}</dd><dt>p90</dt><dd>{money(projection.high)}</dd>"
    ) in content
    assert f"confidence {projection.confidence:.0%}." in content
    # Without JavaScript the table holds the same numbers: the 20th, and the 31st.
    assert (
        '<tr><td>Fri 20 Mar</td><td class="num">$50.00</td><td class="num">$100.00</td>'
        '<td class="num"><span class="muted">—</span></td>'
    ) in content
    assert (
        '<tr><td>Tue 31 Mar</td><td class="num"><span class="muted">—</span></td>'
        f'<td class="num">$100.00</td><td class="num">{money(projection.estimate)}</td>'
    ) in content
    assert '<script src="/static/js/month_chart.js" defer></script>' in content


def test_without_an_organization_budget_the_chart_has_spend_and_projection_only(
    client, sign_in, org, spend
):
    # A project's budget measures other spend than the organization's line: not drawn.
    budget_of(org, "Alpha", "15", scope=BudgetScope.PROJECT, project="alpha")
    sign_in(org, Role.VIEWER)
    [chart] = client.get("/o/acme/").context["month_charts"]
    assert chart.title == "This month and its projection"
    assert list(_lines(chart.script_data)) == ["Spent", "Projection", "p10", "p90"]


def test_each_organization_budget_is_a_line_of_its_own(client, sign_in, org, spend):
    budget_of(org, "Hard cap", "120")
    budget_of(org, "Target", "60.5")
    sign_in(org, Role.VIEWER)
    [chart] = client.get("/o/acme/").context["month_charts"]
    lines = _lines(chart.script_data)
    assert (lines["Budget: Hard cap"], lines["Budget: Target"]) == ([120.0] * 31, [60.5] * 31)


def test_another_organizations_budget_is_never_drawn(
    client, sign_in, org, outsider_org, spend, record
):
    budget_of(org, "Team", "100")
    record({"occurred_at": "2026-03-05T10:00:00Z", "total_cost": 2.0}, organization=outsider_org)
    sign_in(outsider_org, Role.VIEWER)
    [chart] = client.get("/o/outsider/").context["month_charts"]
    lines = _lines(chart.script_data)
    assert "Budget" not in lines
    assert lines["Spent"][:5] == [0.0, 0.0, 0.0, 0.0, 2.0]


def test_an_organization_without_events_gets_the_first_event_page_and_no_chart(
    client, sign_in, org, now
):
    budget_of(org, "Team", "100")
    sign_in(org, Role.OWNER)
    response = client.get("/o/acme/")
    assert response.context["month_charts"] == []
    assert "month_chart.js" not in response.content.decode()


def test_billing_registers_its_chart_with_usage_once():
    assert [provider.__module__ for provider in PROVIDERS] == ["billing.selectors.month_chart"]
