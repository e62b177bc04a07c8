"""Live and test data apart: pages show live events by default, a session switch shows the
test-key events instead (every page, every link, the CSV), the APIs keep counting both,
and open data never publishes test events."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from opendata.models import CommunityDaily
from opendata.services import community_refresh
from tests.factories import OrganizationFactory
from tokentracker.models import Role
from tokentracker.services import api_key_create
from usage.models import UsageEvent
from usage.rollups import rollups_merge
from usage.schemas import EventInput
from usage.services.events import events_record

pytestmark = pytest.mark.django_db
WINDOW = {"start_date": "2026-03-20", "end_date": "2026-03-21"}

# Sent with a test key (isv_test_sk_): gpt-4o 4,000 input = $0.01; claude-sonnet-4-5
# 1,000 input + 1,000 output = $0.003 + $0.015 = $0.018. Together $0.028, 6,000 tokens.
TEST_EVENTS = [
    {
        "provider": "openai",
        "model": "gpt-4o",
        "occurred_at": "2026-03-21T08:00:00Z",
        "input_tokens": 4000,
        "output_tokens": 0,
        "endpoint": "chat",
        "status": "timeout",
    },
    {
        "provider": "anthropic",
        "model": "claude-sonnet-4-5",
        "occurred_at": "2026-03-20T09:00:00Z",
        "input_tokens": 1000,
        "output_tokens": 1000,
        "endpoint": "sql",
    },
]


def record_with_key(organization, api_key_id, *events) -> None:
    inputs = [EventInput(**{"output_tokens": 0, "input_tokens": 0, **fields}) for fields in events]
    events_record(organization_id=organization.id, api_key_id=api_key_id, events=inputs)
    rollups_merge()


@pytest.fixture
def test_events(org, page_events):
    key = api_key_create(organization=org, name="staging", prefix="isv_test_sk_").api_key
    record_with_key(org, key.id, *TEST_EVENTS)


def switch(client, mode, next_path="/o/acme/explorer/"):
    return client.post("/o/acme/data", {"data": mode, "next": next_path})


def _money(totals) -> str:
    return str(totals.cost.normalize())


def test_the_explorer_shows_live_data_by_default_and_test_data_when_switched(
    client, sign_in, org, test_events
):
    sign_in(org, Role.VIEWER)
    live = client.get("/o/acme/explorer/", WINDOW)
    totals = live.context["totals"]
    assert (totals.events, _money(totals), totals.total_tokens) == (5, "0.03175", 7000)
    assert live.context["logs"].paginator.count == 5
    assert "Test data." not in live.content.decode()

    response = switch(client, "test", "/o/acme/explorer/?start_date=2026-03-20&end_date=2026-03-21")
    assert response.status_code == 302
    assert response["Location"] == "/o/acme/explorer/?start_date=2026-03-20&end_date=2026-03-21"

    test = client.get("/o/acme/explorer/", WINDOW)
    totals = test.context["totals"]
    assert (totals.events, _money(totals), totals.total_tokens) == (2, "0.028", 6000)
    assert [row["model"] for row in test.context["logs"]] == ["gpt-4o", "claude-sonnet-4-5"]
    assert sum(t.events for _, t in test.context["points"]) == 2
    content = test.content.decode()
    assert "Test data." in content
    assert 'name="data" value="live"' in content

    switch(client, "live")
    back = client.get("/o/acme/explorer/", WINDOW).context["totals"]
    assert (back.events, _money(back)) == (5, "0.03175")


def test_the_switch_holds_on_every_page_and_link_until_switched_back(
    client, sign_in, org, test_events
):
    sign_in(org, Role.VIEWER)
    switch(client, "test")
    overview = client.get("/o/acme/")
    month = overview.context["summary"].month
    assert (month.events, _money(month), month.total_tokens) == (2, "0.028", 6000)
    assert overview.context["summary"].last_month.events == 0
    assert overview.context["month_charts"] == []  # budgets are live spend only
    carbon = client.get("/o/acme/carbon/", WINDOW)
    assert carbon.context["totals"].events == 2
    # The CSV link of the page the person is on holds what the page holds.
    export = client.get("/o/acme/explorer/export.csv", WINDOW)
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [row["model"] for row in rows] == ["gpt-4o", "claude-sonnet-4-5"]
    assert export["Content-Disposition"] == (
        'attachment; filename="acme_test_logs_2026-03-20_2026-03-21.csv"'
    )
    for page in ("/o/acme/", "/o/acme/carbon/", "/o/acme/explorer/", "/o/acme/members/"):
        assert "Test data." in client.get(page).content.decode(), page


def test_live_figures_never_hold_test_events(client, sign_in, org, test_events):
    sign_in(org, Role.VIEWER)
    overview = client.get("/o/acme/").context["summary"]
    assert (overview.month.events, _money(overview.month)) == (5, "0.03175")
    assert overview.last_month.events == 1
    assert [keys["model"] for keys, _ in overview.by_model] == [
        "gpt-4o",
        "claude-sonnet-4-5",
        "mystery-model",
    ]
    assert [(keys["model"], t.events) for keys, t in overview.by_model][1] == (
        "claude-sonnet-4-5",
        1,
    )
    carbon = client.get("/o/acme/carbon/", WINDOW).context["totals"]
    assert carbon.events == 5
    export = client.get("/o/acme/explorer/export.csv", WINDOW)
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert len(rows) == 5
    assert "timeout" not in {row["status"] for row in rows}


def test_the_switch_is_per_organization(client, sign_in, org, test_events):
    user = sign_in(org, Role.VIEWER)
    other = OrganizationFactory(slug="other")
    from tests.factories import MembershipFactory

    MembershipFactory(user=user, organization=other, role=Role.VIEWER)
    switch(client, "test")
    assert "Test data." not in client.get("/o/other/").content.decode()
    assert "Test data." in client.get("/o/acme/").content.decode()


def test_a_bad_switch_value_is_a_400_and_changes_nothing(client, sign_in, org, test_events):
    sign_in(org, Role.VIEWER)
    response = client.post("/o/acme/data", {"data": "staging"})
    assert response.status_code == 400
    assert client.get("/o/acme/explorer/", WINDOW).context["totals"].events == 5
    assert client.get("/o/acme/data").status_code == 405


@pytest.mark.parametrize(
    "next_path", ["https://evil.example/o/acme/", "//evil.example/", "/o/other/", ""]
)
def test_the_switch_goes_back_only_to_a_page_of_the_same_organization(
    client, sign_in, org, next_path
):
    sign_in(org, Role.VIEWER)
    response = switch(client, "test", next_path)
    assert (response.status_code, response["Location"]) == (302, "/o/acme/")


def test_signed_out_the_switch_sends_to_login_and_an_outsider_gets_404(
    client, sign_in, org, outsider_org
):
    response = switch(client, "test")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login")
    sign_in(outsider_org, Role.OWNER)
    assert switch(client, "test").status_code == 404
    assert client.session.get("test_data_organizations") is None


def test_the_request_page_badges_a_test_event(client, sign_in, org, test_events):
    sign_in(org, Role.VIEWER)
    test_event = UsageEvent.objects.get(livemode=False, model="gpt-4o")
    live_event = UsageEvent.objects.filter(livemode=True).first()
    assert ">Test data</span>" in client.get(f"/o/acme/requests/{test_event.uuid}").content.decode()
    page = client.get(f"/o/acme/requests/{live_event.uuid}").content.decode()
    assert ">Test data</span>" not in page


def test_the_apis_keep_counting_live_and_test_events(api, raw_key, test_events):
    summary = api.get("/api/metrics/summary", raw_key, **WINDOW).json()
    assert summary["total_requests"] == 5 + 2
    assert summary["total_tokens"] == 7000 + 6000
    logs = api.get("/api/logs", raw_key, **WINDOW, format="csv")
    body = b"".join(logs.streaming_content).decode()
    lines = body.splitlines()
    assert lines[0] == (
        "timestamp,model,endpoint,prompt_tokens,completion_tokens,total_tokens,"
        "input_cost,output_cost,total_cost,latency_ms,api_provider"
    )
    assert len(lines) == 1 + 7


def test_open_data_never_publishes_test_events(settings, fresh_community):
    settings.OPENDATA_COMMUNITY_MIN_CONTRIBUTORS = 2
    day = datetime(2026, 3, 10, 12, tzinfo=UTC)
    members = [
        OrganizationFactory(slug=f"member-{n}", community_data_opt_in=True) for n in range(2)
    ]
    for member in members:
        event = {"provider": "openai", "model": "gpt-4o", "occurred_at": day}
        record_with_key(member, None, {**event, "input_tokens": 100, "total_cost": Decimal("0.1")})
        key = api_key_create(organization=member, name="t", prefix="isv_test_sk_").api_key
        record_with_key(member, key.id, {**event, "input_tokens": 5000, "total_cost": Decimal("7")})
    community_refresh(today=date(2026, 3, 11))
    total = CommunityDaily.objects.get(dimension="total", dimension_value="all")
    assert (total.events, total.tokens, total.cost, total.contributors) == (
        2,
        200,
        Decimal("0.2"),
        2,
    )
