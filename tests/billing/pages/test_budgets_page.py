"""The Budgets page `/o/<slug>/budgets/`: each budget's spend against its amount, its
projection, thresholds and alert history; the empty state; who sees what."""

import re
from datetime import date, datetime
from decimal import Decimal

import pytest

from billing.models import AlertKind, BudgetAlert, BudgetScope
from billing.selectors.budgets import budget_projection
from billing.services.alerts import budgets_evaluate
from billing.services.webhooks import webhook_endpoint_create
from tests.billing.pages.conftest import NOW, budget_of
from tests.billing.receivers import Receiver
from tests.factories import MembershipFactory, UserFactory
from tests.tokentracker.pages.test_content_security_policy import _blocked
from tokentracker.models import Role
from usage.templatetags.usage_format import money, percent

pytestmark = pytest.mark.django_db

NOW_DATETIME = datetime.fromisoformat(NOW.replace("Z", "+00:00"))


@pytest.fixture
def budgets(org, spend):
    return {
        "team": budget_of(org, "Team", "100"),
        "alpha": budget_of(org, "Alpha", "15", scope=BudgetScope.PROJECT, project="alpha"),
        "openai": budget_of(
            org, "OpenAI", "1000", scope=BudgetScope.SERVICE, service="openai", thresholds=[]
        ),
    }


def _card(content: str, budget) -> str:
    """The HTML of one budget's card."""
    start = content.index('<section class="card budget budget-')
    start = content.index(f'id="budget-{budget.pk}"', start)
    return content[content.rindex("<section", 0, start) : content.index("</section>", start)]


def _fact(card: str, name: str) -> str:
    match = re.search(rf'<dd data-fact="{name}">(.*?)</dd>', card, re.S)
    assert match, name
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OWNER])
def test_each_budget_shows_its_spend_against_its_amount(client, sign_in, org, budgets, role):
    sign_in(org, role)
    response = client.get("/o/acme/budgets/")
    assert response.status_code == 200
    content = response.content.decode()
    # By name: Alpha, OpenAI, Team.
    assert [card.budget.name for card in response.context["cards"]] == ["Alpha", "OpenAI", "Team"]

    # The organization: $30 of usage and the $20 manual cost.
    team = _card(content, budgets["team"])
    assert _fact(team, "spent") == "$50.00 of $100.00 (50.00%)"
    assert _fact(team, "remaining") == "$50.00"
    assert '<progress class="budget-bar" max="100" value="50.00"' in team
    assert "The whole organization · $100.00 a month" in team

    # Project alpha: $5 + $15 of usage, no manual cost (those belong to services).
    alpha = _card(content, budgets["alpha"])
    assert _fact(alpha, "spent") == "$20.00 of $15.00 (133.33%)"
    assert _fact(alpha, "remaining") == "over by $5.00"
    assert 'class="card budget budget-over"' in alpha
    assert '<span class="badge danger">Over budget</span>' in alpha
    assert '<progress class="budget-bar" max="100" value="100"' in alpha  # full, not 133
    assert "Project: alpha" in alpha

    # OpenAI: its usage ($10 + $15) and its manual cost ($20).
    openai = _card(content, budgets["openai"])
    assert _fact(openai, "spent") == "$45.00 of $1,000.00 (4.50%)"
    assert _fact(openai, "remaining") == "$955.00"
    assert "Service: OpenAI" in openai


def test_each_budget_shows_the_months_projection_with_its_range_and_confidence(
    client, sign_in, org, budgets
):
    sign_in(org, Role.VIEWER)
    content = client.get("/o/acme/budgets/").content.decode()
    for key in ("team", "alpha", "openai"):
        projection = budget_projection(budgets[key], now=NOW_DATETIME)
        assert projection.month == date(2026, 3, 1)
        assert projection.low <= projection.estimate <= projection.high
        expected = (
            f"{money(projection.estimate)} (p10\N{EN DASH}p90 {money(projection.low)} to "
            f"{money(projection.high)}), confidence {percent(projection.confidence)}, "
            f"{projection.trend}"
        )
        assert _fact(_card(content, budgets[key]), "projection").startswith(expected), key
    # Alpha, already over, is projected over by the estimate's excess over $15.
    alpha = budget_projection(budgets["alpha"], now=NOW_DATETIME)
    assert _fact(_card(content, budgets["alpha"]), "projection").endswith(
        f"· {money(alpha.estimate - Decimal(15))} over the amount"
    )


def test_thresholds_say_which_are_reached_this_month(client, sign_in, org, budgets):
    budgets["team"].forecast_alert = True
    budgets["team"].save()
    sign_in(org, Role.VIEWER)
    content = client.get("/o/acme/budgets/").content.decode()
    assert _fact(_card(content, budgets["team"]), "thresholds") == (
        "50% reached 80% 100% · forecast alert"
    )
    assert _fact(_card(content, budgets["alpha"]), "thresholds") == (
        "50% reached 80% reached 100% reached"
    )
    assert _fact(_card(content, budgets["openai"]), "thresholds") == "none"


def test_each_budget_lists_its_alerts_of_the_last_twelve_months_newest_first(
    client, sign_in, org, budgets
):
    fired = budgets_evaluate(org.id, now=NOW_DATETIME)
    assert sorted((a.budget.name, a.threshold) for a in fired) == [
        ("Alpha", 50),
        ("Alpha", 80),
        ("Alpha", 100),
        ("Team", 50),
    ]
    older = [
        BudgetAlert(
            organization=org,
            budget=budgets["team"],
            period=period,
            kind=AlertKind.THRESHOLD,
            threshold=80,
            spent=Decimal("81.5"),
            budget_amount=Decimal("100"),
            currency="USD",
        )
        for period in (date(2025, 4, 1), date(2025, 3, 1))  # the first 12 months back, and 13
    ]
    BudgetAlert.objects.bulk_create(older)
    BudgetAlert.objects.filter(period=date(2025, 4, 1)).update(
        fired_at=datetime.fromisoformat("2025-04-28T09:15:00+00:00")
    )
    BudgetAlert.objects.filter(period=date(2025, 3, 1)).update(
        fired_at=datetime.fromisoformat("2025-03-28T09:15:00+00:00")
    )
    sign_in(org, Role.VIEWER)
    content = client.get("/o/acme/budgets/").content.decode()

    team = _card(content, budgets["team"])
    assert "Alerts of the last 12 months (2)" in team
    assert [_alert_columns(row) for row in _rows(team)] == [
        "21 Mar 2026, 12:30 50% reached (March 2026) $50.00 $100.00",
        "28 Apr 2025, 09:15 80% reached (April 2025) $81.50 $100.00",
    ]
    alpha = _card(content, budgets["alpha"])
    assert "Alerts of the last 12 months (3)" in alpha
    assert [_alert_columns(row) for row in _rows(alpha)] == [
        f"21 Mar 2026, 12:30 {threshold}% reached (March 2026) $20.00 $15.00"
        for threshold in (100, 80, 50)
    ]
    openai = _card(content, budgets["openai"])
    assert "Alerts of the last 12 months (0)" in openai
    assert "No alert has fired in that time." in openai


def _rows(card: str) -> list[str]:
    body = card[card.index("<tbody>") : card.index("</tbody>")]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def _alert_columns(row: str) -> str:
    """An alert row's text without its delivery column."""
    return " ".join(re.sub(r"<[^>]+>", " ", row.rsplit("<td>", 1)[0]).split())


def test_each_alert_shows_where_it_went_and_how_each_delivery_ended(
    client, sign_in, org, budgets, django_capture_on_commit_callbacks, private_webhooks_allowed
):
    ada = MembershipFactory(
        organization=org, role=Role.ADMIN, user=UserFactory(email="ada@example.com")
    )
    ops, slack = Receiver(statuses=[500] * 10).start(), Receiver(statuses=[404] * 2).start()
    try:
        webhook_endpoint_create(
            organization_id=org.id,
            actor=ada,
            name="Ops",
            kind="webhook",
            url=ops.base + "/hook?token=abc",
        )
        webhook_endpoint_create(
            organization_id=org.id,
            actor=ada,
            name="Slack",
            kind="slack",
            url=slack.base + "/services/T0001/B0002/s3cr3tT0k3n",
        )
        budgets["alpha"].thresholds = [100]
        budgets["alpha"].save()
        with django_capture_on_commit_callbacks(execute=True):
            fired = budgets_evaluate(org.id, now=NOW_DATETIME)
    finally:
        ops.stop()
        slack.stop()
    assert sorted((a.budget.name, a.threshold) for a in fired) == [("Alpha", 100), ("Team", 50)]
    # For each alert: five tries at the webhook answering 500, one at the Slack URL
    # refusing with a 404.
    assert (len(ops.received), len(slack.received)) == (10, 2)
    sign_in(org, Role.VIEWER)
    content = client.get("/o/acme/budgets/").content.decode()

    alpha = _card(content, budgets["alpha"])
    [row] = _rows(alpha)
    deliveries = [
        " ".join(re.sub(r"<[^>]+>", " ", item).split())
        for item in re.findall(r'<li class="delivery[^"]*">(.*?)</li>', row, re.S)
    ]
    host = ops.base.removeprefix("http://")
    slack_host = slack.base.removeprefix("http://")
    assert deliveries == [
        "Email ada@example.com delivered 1 attempt, delivered 21 Mar, 12:30",
        f"Webhook http://{host}/… failed 5 attempts HTTP 500",
        f"Slack http://{slack_host}/… failed 1 attempt HTTP 404",
    ]
    assert '<li class="delivery delivery-failed">' in row
    # The URLs' credentials never reach the page.
    assert "token=abc" not in content
    assert "s3cr3tT0k3n" not in content
    assert "T0001" not in content


def test_a_forecast_alert_says_what_was_projected(client, sign_in, org, budgets):
    BudgetAlert.objects.create(
        organization=org,
        budget=budgets["team"],
        period=date(2026, 3, 1),
        kind=AlertKind.FORECAST,
        threshold=100,
        spent=Decimal("50"),
        projected=Decimal("120.25"),
        budget_amount=Decimal("100"),
        currency="USD",
    )
    sign_in(org, Role.VIEWER)
    team = _card(client.get("/o/acme/budgets/").content.decode(), budgets["team"])
    assert [_alert_columns(row) for row in _rows(team)] == [
        "21 Mar 2026, 12:30 On course to exceed: projected $120.25 (March 2026) $50.00 $100.00"
    ]


def test_uncounted_spend_is_named_beside_the_budget(client, sign_in, org, now, record):
    budget = budget_of(org, "Team", "100")
    record({"occurred_at": "2026-03-20T10:00:00Z", "model": "mystery-model"})
    sign_in(org, Role.VIEWER)
    card = _card(client.get("/o/acme/budgets/").content.decode(), budget)
    assert _fact(card, "spent") == "$0.00 of $100.00 (0.00%)"
    assert "Not counted: 1 unpriced event." in card


def test_admins_and_owners_get_the_buttons_others_do_not(client, sign_in, org, budgets):
    team = budgets["team"]
    sign_in(org, Role.ADMIN)
    content = client.get("/o/acme/budgets/").content.decode()
    assert '<a class="button small actions" href="/o/acme/budgets/new">New budget</a>' in content
    assert f'href="/o/acme/budgets/{team.pk}/edit"' in content
    assert f'action="/o/acme/budgets/{team.pk}/delete"' in content
    for role in (Role.MEMBER, Role.VIEWER):
        sign_in(org, role)
        content = client.get("/o/acme/budgets/").content.decode()
        assert "/o/acme/budgets/new" not in content
        assert "/edit" not in content
        assert "/delete" not in content


def test_an_organization_without_budgets_is_told_what_a_budget_does(client, sign_in, org, now):
    sign_in(org, Role.OWNER)
    content = client.get("/o/acme/budgets/").content.decode()
    assert "No budgets yet" in content
    assert "A budget is a monthly amount in USD for the whole organization" in content
    assert '<a class="button" href="/o/acme/budgets/new">Create a budget</a>' in content
    sign_in(org, Role.VIEWER)
    content = client.get("/o/acme/budgets/").content.decode()
    assert "No budgets yet" in content
    assert "/o/acme/budgets/new" not in content
    assert "as a viewer you can read them here once they exist" in content


def test_another_organizations_budgets_never_show(client, sign_in, org, outsider_org, budgets):
    sign_in(outsider_org, Role.OWNER)
    response = client.get("/o/outsider/budgets/")
    assert response.context["cards"] == []
    assert "No budgets yet" in response.content.decode()


def test_an_outsider_gets_404(client, sign_in, org, outsider_org, budgets):
    sign_in(outsider_org, Role.OWNER)
    assert client.get("/o/acme/budgets/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, org):
    response = client.get("/o/acme/budgets/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login?next=/o/acme/budgets/"


def test_the_navigation_links_to_the_budgets_page(client, sign_in, org, now):
    sign_in(org, Role.VIEWER)
    content = client.get("/o/acme/").content.decode()
    assert '<li><a href="/o/acme/budgets/">Budgets</a></li>' in content
    content = client.get("/o/acme/budgets/").content.decode()
    assert '<li><a href="/o/acme/budgets/" aria-current="page">Budgets</a></li>' in content


def test_the_page_and_its_forms_have_nothing_the_security_policy_blocks(
    client, sign_in, org, budgets
):
    fired = budgets_evaluate(org.id, now=NOW_DATETIME)
    assert fired
    sign_in(org, Role.OWNER)
    pages = [
        "/o/acme/budgets/",
        "/o/acme/budgets/new",
        f"/o/acme/budgets/{budgets['team'].pk}/edit",
    ]
    responses = {page: client.get(page) for page in pages}
    assert {page: response.status_code for page, response in responses.items()} == dict.fromkeys(
        pages, 200
    )
    assert {page: _blocked(response) for page, response in responses.items()} == {
        page: [] for page in pages
    }


def test_the_page_costs_the_same_queries_for_more_budgets_and_alerts(
    client, sign_in, org, budgets, django_assert_num_queries
):
    sign_in(org, Role.VIEWER)
    budgets_evaluate(org.id, now=NOW_DATETIME)
    client.get("/o/acme/budgets/")
    # session, user, membership; the budgets (with their keys); the organization's daily
    # rollups, synced providers' days (bill against events), monthly costs and expenses of
    # the projection window (budgets_status reads them once for every budget); the alerts
    # and their deliveries; the switcher's memberships
    with django_assert_num_queries(QUERIES):
        assert client.get("/o/acme/budgets/").status_code == 200
    for n in range(3):
        budget_of(org, f"More {n}", "10", scope=BudgetScope.PROJECT, project="alpha")
    budgets_evaluate(org.id, now=NOW_DATETIME)
    with django_assert_num_queries(QUERIES):
        assert client.get("/o/acme/budgets/").status_code == 200


QUERIES = 11


def test_every_link_on_the_budgets_pages_answers(client, sign_in, org, budgets):
    from tests.usage.pages.test_page_links import _followed, _links

    budgets_evaluate(org.id, now=NOW_DATETIME)
    sign_in(org, Role.OWNER)
    pages = [
        "/o/acme/budgets/",
        "/o/acme/budgets/new",
        f"/o/acme/budgets/{budgets['team'].pk}/edit",
    ]
    links: set[str] = set()
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        links |= _links(page, response.content.decode())
    assert {f"/o/acme/budgets/{budget.pk}/edit" for budget in budgets.values()} <= links
    broken = {
        link: status
        for link in sorted(links)
        if _followed(link) and (status := client.get(link).status_code) != 200
    }
    assert broken == {}
