"""The overview `/o/<slug>/`: this month against last month, burn rate, top models and
providers, daily spend, and the first-event empty state."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Sum

from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker import services
from tokentracker.models import ApiKey, ApiKeyScope, Role
from usage.models import UsageEvent
from usage.templatetags.usage_format import grams

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("role", [Role.OWNER, Role.VIEWER])
def test_owner_and_viewer_see_this_months_spend_against_last_months(
    client, sign_in, org, page_events, role
):
    sign_in(org, role)
    response = client.get("/o/acme/")
    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary.month.events == 5
    assert str(summary.month.cost.normalize()) == "0.03175"
    assert summary.month.unpriced_events == 1
    assert summary.month.total_tokens == 7000
    assert summary.last_month.events == 1
    assert str(summary.last_month.cost.normalize()) == "0.000125"
    content = _text(response)
    assert "$0.03175" in content
    assert "+ 1 unpriced" in content
    assert "$0.000125" in content
    assert "7,000" in content


def test_burn_rate_is_the_last_24_hours_spend_per_day(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/")
    burn = response.context["summary"].burn
    assert (burn.start.isoformat(), burn.end.isoformat()) == (
        "2026-03-20T13:00:00+00:00",
        "2026-03-21T13:00:00+00:00",
    )
    assert burn.totals.events == 2  # the 12:10 gpt-4o call and the unpriced one
    assert str(burn.cost_per_day.normalize()) == "0.0035"
    content = _text(response)
    assert '$0.0035<span class="stat-unit">/day</span>' in content
    assert "$0.000146/hour" in content


def test_top_models_and_providers_are_costliest_first_and_unpriced_says_so(
    client, sign_in, org, page_events
):
    sign_in(org, Role.OWNER)
    response = client.get("/o/acme/")
    summary = response.context["summary"]
    assert [(keys["model"], str(t.cost.normalize())) for keys, t in summary.top_models] == [
        ("gpt-4o", "0.02575"),
        ("claude-sonnet-4-5", "0.006"),
        ("mystery-model", "0"),
    ]
    assert [provider for provider, _ in summary.top_providers] == [
        "openai",
        "anthropic",
        "mistral",
    ]
    content = _text(response)
    # The unknown model's spend is not $0: it is unpriced.
    assert (
        '<a href="/o/acme/explorer/?start_date=2026-03-01&amp;end_date=2026-03-31'
        '&amp;provider=openai&amp;model=gpt-4o">'
        "gpt-4o</a>"
    ) in content
    mystery_row = content[content.index("mystery-model</a></td>") :].split("</tr>")[0]
    assert "unpriced" in mystery_row
    assert "$0.00" not in mystery_row
    assert 'provider=openai">OpenAI</a></td>' in content


def test_co2e_is_the_sum_of_the_months_events_with_its_equivalent(
    client, sign_in, org, page_events
):
    sign_in(org, Role.OWNER)
    response = client.get("/o/acme/")
    expected = UsageEvent.objects.filter(
        organization=org, occurred_at__gte="2026-03-01T00:00:00Z"
    ).aggregate(co2e=Sum("co2e_grams"))["co2e"]
    assert expected > 0
    assert response.context["summary"].month.co2e_grams == expected
    content = _text(response)
    assert grams(expected) in content
    assert response.context["equivalent"].startswith("about as much as")
    assert response.context["equivalent"][:1].upper() + response.context["equivalent"][1:] in (
        content
    )


def test_daily_spend_chart_has_one_point_per_day_of_the_month_so_far(
    client, sign_in, org, page_events
):
    sign_in(org, Role.OWNER)
    response = client.get("/o/acme/")
    points = response.context["daily_points"]
    assert [p["label"] for p in points] == [f"2026-03-{day:02}" for day in range(1, 22)]
    assert points[19]["cost"] == pytest.approx(0.02825)
    assert (points[20]["cost"], points[20]["unpriced"]) == (pytest.approx(0.0035), 1)
    content = _text(response)
    assert '<script id="daily-spend" type="application/json">' in content
    data = content.split('<script id="daily-spend" type="application/json">')[1].split("</script>")
    assert json.loads(data[0]) == points
    assert "vendor/chart-4.6.1.min.js" in content
    # Without JavaScript the same numbers are in a table.
    assert "<td>Fri 20 Mar</td>" in content


def test_an_organization_without_events_sees_its_own_curl_command_and_no_key(
    client, sign_in, org, now, settings
):
    settings.ALLOWED_HOSTS = ["tokens.example.com"]
    sign_in(org, Role.OWNER)
    response = client.get("/o/acme/", HTTP_HOST="tokens.example.com")
    content = _text(response)
    assert response.context["summary"].has_events is False
    assert "Send your first event" in content
    assert "curl http://tokens.example.com/api/v1/events" in content
    assert "Bearer YOUR_API_KEY" in content
    assert "mtt_" not in content
    assert "daily-spend" not in content


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.MEMBER])
def test_the_empty_state_tells_those_who_can_create_keys_to_create_one(
    client, sign_in, org, now, role
):
    sign_in(org, role)
    content = _text(client.get("/o/acme/"))
    assert 'Create a key on the <a href="/o/acme/keys/">API keys page</a>' in content
    assert "as a viewer you can read the usage but not create keys" not in content


def test_the_demo_organizations_empty_state_names_the_key_make_run_printed(
    client, tmp_path, now, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # `make run` keeps the key under the checkout: var/
    printed = StringIO()
    call_command("bootstrap_demo", stdout=printed)
    raw_key = printed.getvalue().strip().splitlines()[-1].removeprefix("API key: ")
    api_key = ApiKey.objects.get(organization__slug="demo")
    assert raw_key.startswith(api_key.lookup)
    client.force_login(get_user_model().objects.get(username="admin"))
    content = _text(client.get("/o/demo/"))
    assert (
        "Use its key: <strong>Demo key: printed by make run, kept in var/demo_api_key</strong> "
        f"(<code>{api_key.lookup}…</code>). A key is shown in full only when it is created"
    ) in content
    assert "Create a key on the" not in content
    assert "Replace <code>YOUR_API_KEY</code> with that key." in content
    assert raw_key not in content


def test_the_empty_state_offers_the_three_newest_keys_that_can_send_events(
    client, sign_in, org, now
):
    for name in ("first", "second", "third", "fourth"):
        services.api_key_create(organization=org, name=name)
    services.api_key_create(organization=org, name="reader", scope=ApiKeyScope.READ)
    revoked = services.api_key_create(organization=org, name="revoked").api_key
    services.api_key_revoke(api_key=revoked)
    sign_in(org, Role.MEMBER)
    content = _text(client.get("/o/acme/"))
    offered = content.split("Use one of its keys: ")[1].split(". A key is shown")[0]
    assert [name.split("</strong>")[0] for name in offered.split("<strong>")[1:]] == [
        "fourth",
        "third",
        "second",
    ]


def test_read_only_and_revoked_keys_still_leave_the_create_a_key_step(client, sign_in, org, now):
    services.api_key_create(organization=org, name="reader", scope=ApiKeyScope.READ)
    revoked = services.api_key_create(organization=org, name="revoked").api_key
    services.api_key_revoke(api_key=revoked)
    sign_in(org, Role.OWNER)
    content = _text(client.get("/o/acme/"))
    assert 'Create a key on the <a href="/o/acme/keys/">API keys page</a>' in content
    assert "Use its key" not in content
    assert "Replace <code>YOUR_API_KEY</code> with the key you created." in content


def test_another_organizations_keys_are_never_offered(client, sign_in, org, now):
    services.api_key_create(organization=OrganizationFactory(slug="other"), name="theirs")
    sign_in(org, Role.OWNER)
    content = _text(client.get("/o/acme/"))
    assert "theirs" not in content
    assert 'Create a key on the <a href="/o/acme/keys/">API keys page</a>' in content


def test_the_empty_state_tells_a_viewer_to_ask_for_a_key_instead_of_creating_one(
    client, sign_in, org, now
):
    sign_in(org, Role.VIEWER)
    content = _text(client.get("/o/acme/"))
    assert "Create a key" not in content
    assert (
        f"Ask a member, admin or owner of {org.name} for an API key: as a viewer you can "
        "read the usage but not create keys."
    ) in content
    assert "Replace <code>YOUR_API_KEY</code> with that key." in content


def test_an_organization_quiet_for_two_months_is_not_shown_the_first_event_page(
    client, sign_in, org, now, record
):
    record({**PAGE_EVENT_IN_JANUARY})
    sign_in(org, Role.OWNER)
    response = client.get("/o/acme/")
    assert response.context["summary"].has_events is True
    assert "Send your first event" not in _text(response)
    assert "No requests in this period." in _text(response)


PAGE_EVENT_IN_JANUARY = {
    "provider": "openai",
    "model": "gpt-4o",
    "occurred_at": "2026-01-05T08:00:00Z",
    "input_tokens": 10,
    "output_tokens": 10,
}


def test_another_organizations_events_never_show(client, sign_in, org, outsider_org, now, record):
    record(PAGE_EVENT_IN_JANUARY | {"occurred_at": "2026-03-21T08:00:00Z"}, organization=org)
    sign_in(outsider_org, Role.OWNER)
    response = client.get("/o/outsider/")
    assert response.context["summary"].has_events is False


def test_an_outsider_gets_404(client, sign_in, org, outsider_org):
    sign_in(outsider_org, Role.OWNER)
    assert client.get("/o/acme/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, org):
    response = client.get("/o/acme/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login?next=/o/acme/"


def test_the_overview_costs_a_fixed_number_of_queries(
    client, sign_in, org, page_events, django_assert_num_queries
):
    user = sign_in(org, Role.OWNER)
    for n in range(5):
        MembershipFactory(user=user, organization=OrganizationFactory(slug=f"more-{n}"))
    client.get("/o/acme/")
    # session, user, membership; the month by provider and model (daily rows, today's
    # hourly rows), last month (daily rows), the daily series (two), the burn rate's last
    # 24 hours (hourly rows); the switcher's memberships; and, since the month has an
    # event without a cost, its unconverted amounts (none: it is unpriced); billing's chart
    # of the month against the budget (usage.selectors.month_charts): the organization's
    # daily rollups of the projection window, its synced providers' days (bill against
    # events), its manual costs, its expenses and its budgets. The previous period (1
    # February to the 21st at 13:00, the month so far): its totals and its days, each a
    # daily and an hourly read.
    with django_assert_num_queries(19):
        assert client.get("/o/acme/").status_code == 200
