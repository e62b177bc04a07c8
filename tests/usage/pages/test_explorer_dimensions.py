"""The explorer's developer, customer and tag breakdowns and filters: each figure equal to
the raw events' sums, shareable links, bad values as messages, outsiders kept out."""

import csv
import io
import random
from decimal import Decimal

import pytest

from tokentracker.models import Role
from usage.models import UsageEvent
from usage.rollups import rollups_merge
from usage.schemas import EventInput
from usage.services.events import events_record

pytestmark = pytest.mark.django_db
PATH = "/o/acme/explorer/"
WINDOW = {"start_date": "2026-03-18", "end_date": "2026-03-21"}


@pytest.fixture
def team_events(org):
    org.tag_keys = ["region"]
    org.save()
    rng = random.Random(5)
    events = [
        EventInput(
            provider="openai",
            model=rng.choice(["gpt-4o", "gpt-4o-mini"]),
            input_tokens=rng.randint(1, 3000),
            output_tokens=rng.randint(1, 500),
            endpoint=rng.choice(["chat", "sql"]),
            developer_id=rng.choice(["ann", "bob", None]),
            tenant_id=rng.choice(["acme-corp", "globex", None]),
            metadata={"region": rng.choice(["eu", "us"])} if rng.random() < 0.8 else None,
            occurred_at=f"2026-03-{rng.randint(18, 21)}T{rng.randint(0, 12):02d}:10:00Z",
        )
        for _ in range(120)
    ]
    events_record(organization_id=org.id, api_key_id=None, events=events)
    rollups_merge()


def raw(keep):
    events = [e for e in UsageEvent.objects.all() if keep(e)]
    cost = sum((e.total_cost for e in events if e.total_cost is not None), Decimal(0))
    return len(events), sum(e.total_tokens for e in events), cost


def tables(response):
    return {
        table.dimension: {
            row.value: (row.totals.events, row.totals.total_tokens, row.totals.cost)
            for row in table.rows
        }
        for table in response.context["dimension_tables"]
    }


def region(event):
    return (event.metadata or {}).get("region", "")


def test_breakdowns_by_developer_customer_and_tag_equal_the_raw_sums(
    client, sign_in, org, team_events
):
    sign_in(org, Role.VIEWER)
    response = client.get(PATH, WINDOW)
    assert response.status_code == 200
    found = tables(response)
    assert list(found) == ["developer", "customer", "tag:region"]
    assert found["developer"] == {
        value: raw(lambda e, v=value: e.developer_id == v) for value in ("ann", "bob", "")
    }
    assert found["customer"] == {
        value: raw(lambda e, v=value: e.tenant_id == v) for value in ("acme-corp", "globex", "")
    }
    assert found["tag:region"] == {
        value: raw(lambda e, v=value: region(e) == v) for value in ("eu", "us", "")
    }
    content = response.content.decode()
    assert 'id="by-tag-region"' in content
    assert 'href="?start_date=2026-03-18&amp;end_date=2026-03-21&amp;developer=ann"' in content
    assert 'href="?start_date=2026-03-18&amp;end_date=2026-03-21&amp;tag.region=eu"' in content
    assert 'name="customer"' in content and 'name="tag.region"' in content


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({"developer": "ann"}, lambda e: e.developer_id == "ann"),
        ({"customer": ["globex", "acme-corp"]}, lambda e: e.tenant_id in ("globex", "acme-corp")),
        (
            {"tag.region": "eu", "model": "gpt-4o"},
            lambda e: region(e) == "eu" and e.model == "gpt-4o",
        ),
        (
            {"customer": "globex", "endpoint": "chat"},
            lambda e: e.tenant_id == "globex" and e.endpoint == "chat",
        ),
        (
            {"developer": "bob", "tag.region": "us"},
            lambda e: e.developer_id == "bob" and region(e) == "us",
        ),
    ],
)
def test_filters_narrow_totals_breakdowns_logs_and_csv_exactly(
    client, sign_in, org, team_events, params, keep
):
    sign_in(org, Role.OWNER)
    response = client.get(PATH, {**WINDOW, **params})
    assert response.status_code == 200
    assert response.context["query"].problems == []
    totals = response.context["totals"]
    assert (totals.events, totals.total_tokens, totals.cost) == raw(keep)
    by_model = {
        v: (t.events, t.total_tokens, t.cost) for v, t in response.context["breakdowns"][0].rows
    }
    assert by_model == {
        model: raw(lambda e, m=model: keep(e) and e.model == m)
        for model in {e.model for e in UsageEvent.objects.all() if keep(e)}
    }
    assert tables(response)["developer"] == {
        value: raw(lambda e, v=value: keep(e) and e.developer_id == v)
        for value in {e.developer_id for e in UsageEvent.objects.all() if keep(e)}
    }
    assert response.context["logs"].paginator.count == raw(keep)[0]
    export = client.get("/o/acme/explorer/export.csv", {**WINDOW, **params})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert len(rows) - 1 == raw(keep)[0]


def test_bad_dimension_values_are_messages_not_errors(client, sign_in, org, team_events):
    sign_in(org, Role.OWNER)
    response = client.get(
        PATH, {**WINDOW, "tag.color": "red", "developer": ["x" * 201, "ann"], "customer": "a\x00"}
    )
    assert response.status_code == 200
    problems = " ".join(response.context["query"].problems)
    assert "“color” is not one of the organization's explorer tags" in problems
    assert "A developer value has at most 200 characters" in problems
    assert "customer must not contain NUL characters." in problems
    # The valid part still applies.
    assert response.context["totals"].events == raw(lambda e: e.developer_id == "ann")[0]
    export = client.get("/o/acme/explorer/export.csv", {**WINDOW, "tag.color": "red"})
    assert export.status_code == 400


def test_an_outsider_sees_none_of_it(client, sign_in, org, outsider_org, team_events):
    sign_in(outsider_org, Role.OWNER)
    assert client.get(PATH, {**WINDOW, "developer": "ann"}).status_code == 404
    response = client.get("/o/outsider/explorer/", {**WINDOW, "developer": "ann"})
    assert response.status_code == 200
    assert response.context["totals"].events == 0
    assert [t.options for t in response.context["dimension_tables"]] == [[], []]
    assert "globex" not in response.content.decode()


def test_signed_out_visitors_are_sent_to_log_in(client, org):
    response = client.get(PATH, {"developer": "ann"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login")


def test_with_no_events_there_are_no_tables(client, sign_in, org):
    org.tag_keys = ["region"]
    org.save()
    sign_in(org, Role.OWNER)
    response = client.get(PATH, WINDOW)
    assert response.status_code == 200
    assert "By developer" not in response.content.decode()
    assert "No requests match these filters" in response.content.decode()


def test_a_stacked_chart_follows_the_dimension_filters(client, sign_in, org, team_events):
    sign_in(org, Role.OWNER)
    response = client.get(PATH, {**WINDOW, "customer": "globex", "stack": "model"})
    stacked = response.context["stacked"]
    by_model = {label: sum(totals.events for totals in series) for label, series in stacked.parts}
    assert by_model == {
        model: raw(lambda e, m=model: e.tenant_id == "globex" and e.model == m)[0]
        for model in {e.model for e in UsageEvent.objects.filter(tenant_id="globex")}
    }


def test_the_previous_period_is_narrowed_by_the_same_dimension_filters(
    client, sign_in, org, team_events
):
    # 20-21 March against 18-19 March, both for ann alone.
    sign_in(org, Role.VIEWER)
    response = client.get(
        PATH, {"start_date": "2026-03-20", "end_date": "2026-03-21", "developer": "ann"}
    )
    compared = response.context["compared"].totals
    march = "2026-03-"
    assert (
        compared.current.events,
        compared.current.total_tokens,
        compared.current.cost,
    ) == raw(lambda e: e.developer_id == "ann" and e.occurred_at.day in (20, 21))
    assert (
        compared.previous.events,
        compared.previous.total_tokens,
        compared.previous.cost,
    ) == raw(lambda e: e.developer_id == "ann" and e.occurred_at.day in (18, 19))
    assert compared.previous_start.isoformat().startswith(march + "18")
    assert 0 < compared.previous.events < raw(lambda e: e.occurred_at.day in (18, 19))[0]
