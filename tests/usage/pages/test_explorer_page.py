"""The explorer `/o/<slug>/explorer/`: filters in the query string, chart and breakdowns,
the logs table with sorting and pages, and the CSV export of exactly what is filtered."""

import csv
import io

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Role
from usage import page_params
from usage.models import UsageEvent
from usage.paging import CappedCountPaginator, statement_timeout
from usage.selectors.logs import log_events
from usage.views import explorer as explorer_views

pytestmark = pytest.mark.django_db
WINDOW = {"start_date": "2026-03-20", "end_date": "2026-03-21"}


def _text(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("role", [Role.OWNER, Role.VIEWER])
def test_owner_and_viewer_see_the_windows_totals_breakdowns_and_logs(
    client, sign_in, org, page_events, role
):
    sign_in(org, role)
    response = client.get("/o/acme/explorer/", WINDOW)
    assert response.status_code == 200
    totals = response.context["totals"]
    assert (totals.events, str(totals.cost.normalize()), totals.total_tokens) == (
        5,
        "0.03175",
        7000,
    )
    assert totals.error_count == 1
    breakdowns = {b.dimension: b.rows for b in response.context["breakdowns"]}
    assert list(breakdowns) == ["model", "provider", "endpoint", "project", "status", "platform"]
    assert [(v, t.events, str(t.cost.normalize())) for v, t in breakdowns["endpoint"]] == [
        ("chat", 4, "0.02575"),
        ("sql", 1, "0.006"),
    ]
    assert [(v, t.events) for v, t in breakdowns["project"]] == [
        ("alpha", 3),
        ("beta", 1),
        ("", 1),
    ]
    assert [(v, t.events) for v, t in breakdowns["platform"]] == [("web", 2), ("", 3)]
    logs = response.context["logs"]
    assert logs.paginator.count == 5
    assert [row["occurred_at"].isoformat() for row in logs] == [
        "2026-03-21T12:10:00+00:00",
        "2026-03-21T09:00:00+00:00",
        "2026-03-20T11:45:00+00:00",
        "2026-03-20T11:30:00+00:00",
        "2026-03-20T10:15:00+00:00",
    ]
    content = _text(response)
    assert "$0.03175" in content
    assert "$0.00725" in content  # the first call's cost, to the fraction of a cent
    assert "1\u20135 of 5" in content


def test_the_default_window_is_the_last_30_days_ending_today(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    query = client.get("/o/acme/explorer/").context["query"]
    assert (query.start_day, query.end_day, query.granularity) == (
        "2026-02-20",
        "2026-03-21",
        "day",
    )
    assert query.scope.start.isoformat() == "2026-02-20T00:00:00+00:00"
    assert query.scope.end.isoformat() == "2026-03-22T00:00:00+00:00"


def test_filters_narrow_every_part_of_the_page(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    response = client.get(
        "/o/acme/explorer/", {**WINDOW, "provider": "OpenAI", "project": ["alpha", "gamma"]}
    )
    assert response.context["query"].problems == []
    totals = response.context["totals"]
    assert (totals.events, str(totals.cost.normalize())) == (3, "0.02575")
    assert response.context["logs"].paginator.count == 3
    assert sum(point["events"] for point in response.context["chart_points"]) == 3
    content = _text(response)
    # The chosen filters stay chosen in the form, a value with no events included.
    checked = '<input type="checkbox" name="{}" value="{}" checked> <span>{}</span>'
    assert checked.format("project", "alpha", "alpha") in content
    assert checked.format("project", "gamma", "gamma") in content
    assert checked.format("provider", "openai", "OpenAI") in content


def test_hourly_granularity_gives_one_point_per_hour(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", {**WINDOW, "granularity": "hour"})
    points = response.context["chart_points"]
    assert len(points) == 48
    assert points[11] == {
        "label": "2026-03-20 11:00",
        "cost": 0.021,
        "unpriced": 0,
        "events": 2,
        "tokens": 4200,
        "co2e_grams": points[11]["co2e_grams"],
        "energy_wh": points[11]["energy_wh"],
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start_date": "yesterday"}, "start_date must be a date (YYYY-MM-DD)"),
        ({"start_date": "2026-03-21", "end_date": "2026-03-01"}, "Start date must be before"),
        ({"granularity": "fortnight"}, "granularity must be one of hour, day, week"),
        (
            {"granularity": "hour", "start_date": "2026-01-01"},
            "Hourly series cover at most 14 days",
        ),
        ({"sort_by": "price"}, "The logs cannot be sorted by “price”"),
        ({"sort_desc": "maybe"}, "sort_desc must be true or false."),
        ({"page": "-2"}, "page must be a whole number of at least 1."),
        ({"page": "9"}, "There is no page 9 of these logs"),
    ],
)
def test_bad_query_string_values_are_a_message_on_the_page_not_an_error(
    client, sign_in, org, page_events, params, message
):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", params)
    assert response.status_code == 200
    assert any(message in problem for problem in response.context["query"].problems)
    assert message.replace("“", "&ldquo;")[:20] in _text(response) or message[:20] in _text(
        response
    )
    # The rest of the page falls back to the defaults instead of showing nothing.
    assert response.context["logs"].paginator.count == 5


def test_logs_sort_by_a_column_and_the_heading_reverses_it(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    response = client.get(
        "/o/acme/explorer/", {**WINDOW, "sort_by": "total_cost", "sort_desc": "false"}
    )
    costs = [row["total_cost"] for row in response.context["logs"]]
    assert [str(c.normalize()) if c is not None else None for c in costs] == [
        "0.0035",
        "0.006",
        "0.00725",
        "0.015",
        None,  # unpriced last, whichever the direction
    ]
    content = _text(response)
    assert 'aria-sort="ascending"' in content
    assert "sort_by=total_cost&amp;sort_desc=true" in content


def test_logs_come_in_pages_of_fifty(client, sign_in, org, now, record):
    record(
        *(
            {
                "provider": "openai",
                "model": "gpt-4o",
                "occurred_at": f"2026-03-20T{minute // 60:02}:{minute % 60:02}:00Z",
                "input_tokens": 10,
                "output_tokens": 10,
            }
            for minute in range(60)
        )
    )
    sign_in(org, Role.VIEWER)
    second = client.get("/o/acme/explorer/", {**WINDOW, "page": "2"}).context["logs"]
    assert (second.number, second.paginator.num_pages, len(second.object_list)) == (2, 2, 10)
    assert second.object_list[0]["occurred_at"].isoformat() == "2026-03-20T00:09:00+00:00"


def test_a_log_row_links_to_its_request_page(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    content = _text(client.get("/o/acme/explorer/", WINDOW))
    newest = UsageEvent.objects.get(organization=org, occurred_at="2026-03-21T12:10:00Z")
    assert f'href="/o/acme/requests/{newest.uuid}"' in content


@pytest.mark.parametrize("role", [Role.OWNER, Role.VIEWER])
def test_the_csv_export_holds_exactly_the_filtered_logs(client, sign_in, org, page_events, role):
    sign_in(org, role)
    response = client.get(
        "/o/acme/explorer/export.csv", {**WINDOW, "endpoint": "chat", "sort_desc": "false"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == (
        'attachment; filename="acme_logs_2026-03-20_2026-03-21.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["timestamp"], r["model"], r["total_cost"]) for r in rows] == [
        ("2026-03-20T10:15:00Z", "gpt-4o", "0.007250"),
        ("2026-03-20T11:30:00Z", "gpt-4o", "0.015000"),
        ("2026-03-21T09:00:00Z", "mystery-model", ""),
        ("2026-03-21T12:10:00Z", "gpt-4o", "0.003500"),
    ]


def test_an_export_with_a_bad_value_is_refused_not_widened_to_the_defaults(
    client, sign_in, org, page_events
):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/export.csv", {"start_date": "2026-13-01"})
    assert response.status_code == 400
    assert response.content.decode() == (
        "start_date must be a date (YYYY-MM-DD) or an ISO 8601 datetime."
    )


def test_a_nul_in_a_filter_is_a_message_on_the_page_and_the_clean_filters_still_apply(
    client, sign_in, org, page_events
):
    # PostgreSQL refuses a NUL in a text value: the filter failed mid-query, a 500.
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", {**WINDOW, "endpoint": ["chat", "sql\x00"]})
    assert response.status_code == 200
    assert response.context["query"].problems == ["endpoint must not contain NUL characters."]
    assert "endpoint must not contain NUL characters." in _text(response)
    assert response.context["query"].selected["endpoint"] == ("chat",)
    assert response.context["logs"].paginator.count == 4


def test_a_nul_in_a_project_is_a_message_and_that_project_is_not_filtered_on(
    client, sign_in, org, page_events
):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", {**WINDOW, "project": "alpha\x00"})
    assert response.status_code == 200
    assert response.context["query"].problems == ["project must not contain NUL characters."]
    assert response.context["logs"].paginator.count == 5


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"model": "gpt-4o\x00"}, "model must not contain NUL characters."),
        ({"provider": "\x00"}, "provider must not contain NUL characters."),
        ({"project": "\x00"}, "project must not contain NUL characters."),
    ],
)
def test_an_export_with_a_nul_is_a_400_before_any_byte_of_csv(
    client, sign_in, org, page_events, params, message
):
    # It answered 200, then the query failed inside the stream and the download broke off.
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/export.csv", {**WINDOW, **params})
    assert response.status_code == 400
    assert not response.streaming
    assert response["Content-Type"] == "text/plain"
    assert response.content.decode() == message


def test_the_export_link_carries_the_pages_filters(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    content = _text(client.get("/o/acme/explorer/", {**WINDOW, "model": "gpt-4o"}))
    assert (
        'href="/o/acme/explorer/export.csv?start_date=2026-03-20&amp;end_date=2026-03-21'
        '&amp;model=gpt-4o"'
    ) in content


def test_an_empty_window_says_so(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    response = client.get(
        "/o/acme/explorer/", {"start_date": "2025-01-01", "end_date": "2025-01-02"}
    )
    assert response.status_code == 200
    assert "No requests match these filters" in _text(response)


@pytest.mark.parametrize("path", ["/o/acme/explorer/", "/o/acme/explorer/export.csv"])
def test_an_outsider_gets_404(client, sign_in, org, outsider_org, path):
    sign_in(outsider_org, Role.OWNER)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/o/acme/explorer/", "/o/acme/explorer/export.csv"])
def test_an_anonymous_visitor_is_sent_to_log_in(client, org, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login?next={path}"


def test_the_explorer_costs_a_fixed_number_of_queries_whatever_the_rows(
    client, sign_in, org, page_events, record, django_assert_num_queries
):
    user = sign_in(org, Role.OWNER)
    MembershipFactory(user=user, organization=OrganizationFactory(slug="more"))
    client.get("/o/acme/explorer/", WINDOW)
    # session, user, membership; breakdowns and series (one each: the window is whole
    # days, read from the daily rows); the log count and rows; six filter option lists;
    # the switcher's memberships; the dimension filters' values (one read for all) and a
    # table per dimension (developer and customer: no tag keys), from the dimension
    # rollups. On PostgreSQL the log reads run under a statement timeout: a savepoint
    # (the test's transaction), set_config and the release. The previous period (18 March
    # and 19 March up to this hour, for the window runs until now): its breakdowns (one
    # grouped read that also gives its totals: the breakdown rows' previous spend costs
    # no read of its own) and series, each a daily and an hourly read; and each dimension
    # table again over it (developer and customer, a daily and an hourly dimension rollup
    # read each), for its rows' previous spend.
    expected = 24 + (3 if connection.vendor == "postgresql" else 0)
    with django_assert_num_queries(expected):
        assert client.get("/o/acme/explorer/", WINDOW).status_code == 200
    record(*(event | {"occurred_at": "2026-03-20T15:00:00Z"} for event in PAGE_MORE))
    with django_assert_num_queries(expected):
        assert client.get("/o/acme/explorer/", WINDOW).status_code == 200


PAGE_MORE = [
    {"provider": "google", "model": "gemini-2.5-pro", "input_tokens": 10, "output_tokens": 10},
    {"provider": "openai", "model": "o4-mini", "input_tokens": 10, "output_tokens": 10},
]


def test_the_log_count_stops_at_its_cap_and_says_more_than(
    client, sign_in, org, page_events, monkeypatch
):
    monkeypatch.setattr(CappedCountPaginator, "CAP", 3)
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", WINDOW)
    logs = response.context["logs"]
    assert (logs.paginator.count, logs.paginator.capped, logs.paginator.num_pages) == (3, True, 1)
    assert "1\u20133 of more than 3" in _text(response)


def test_the_capped_count_does_not_sort_what_it_counts(org, page_events):
    # Counting the first CAP + 1 rows of a page sorted by cost must not sort every row.
    rows = UsageEvent.objects.filter(organization=org).order_by("-total_cost", "id")
    paginator = CappedCountPaginator(rows, 2)
    everything = rows.count()
    with CaptureQueriesContext(connection) as captured:
        assert paginator.count == everything
    [count_query] = captured.captured_queries
    assert "COUNT(" in count_query["sql"].upper()
    assert "ORDER BY" not in count_query["sql"].upper()
    assert [event.id for event in paginator.page(1)] == list(rows.values_list("id", flat=True)[:2])


def test_a_count_under_the_cap_is_exact(client, sign_in, org, page_events, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "CAP", 5)
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", WINDOW)
    assert (
        response.context["logs"].paginator.count,
        response.context["logs"].paginator.capped,
    ) == (
        5,
        False,
    )
    assert "1\u20135 of 5" in _text(response)


def test_a_page_past_the_cap_shows_the_last_counted_page_and_says_how_to_reach_the_rest(
    client, sign_in, org, page_events, monkeypatch
):
    monkeypatch.setattr(CappedCountPaginator, "CAP", 2)
    monkeypatch.setattr(explorer_views, "PER_PAGE", 1)
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", {**WINDOW, "page": "50000"})
    logs = response.context["logs"]
    assert (logs.number, [row["occurred_at"].isoformat() for row in logs]) == (
        2,
        ["2026-03-21T09:00:00+00:00"],
    )
    assert response.context["query"].problems == [
        "Only the first 2 requests can be paged through; narrow the dates or filters to reach "
        "older ones, or export the CSV for all of them. This is the last page."
    ]


def test_logs_matching_up_to_the_row_limit_sort_by_an_unindexed_column(
    client, sign_in, org, page_events, monkeypatch
):
    monkeypatch.setattr(page_params, "UNINDEXED_SORT_MAX_ROWS", 5)
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", {**WINDOW, "sort_by": "latency_ms"})
    assert response.context["query"].problems == []
    assert [row["latency_ms"] for row in response.context["logs"]] == [3000, 2000, 1000, 500, None]
    assert "sort_by=total_cost&amp;sort_desc=true" in _text(response)  # the Cost heading


def test_logs_matching_more_rows_keep_the_time_order_and_say_why(
    client, sign_in, org, page_events, monkeypatch
):
    monkeypatch.setattr(page_params, "UNINDEXED_SORT_MAX_ROWS", 4)
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", {**WINDOW, "sort_by": "total_cost"})
    query = response.context["query"]
    assert (query.sort_by, query.sort_desc, query.problems) == (
        "timestamp",
        True,
        [
            "These filters match 5 requests: the logs are sorted by “total_cost” only up to 4, "
            "so they are in time order. Narrow the dates or filters to sort them by it."
        ],
    )
    assert response.context["logs"][0]["occurred_at"].isoformat() == "2026-03-21T12:10:00+00:00"
    content = _text(response)
    assert "sort_by=total_cost&amp;sort_desc" not in content  # no heading links to it
    assert (
        '<span title="Sortable when the filters match 150,000 requests or fewer">Cost</span>'
        in (content)
    )


def test_the_export_sorts_by_any_column_whatever_the_rows(
    client, sign_in, org, page_events, monkeypatch
):
    monkeypatch.setattr(page_params, "UNINDEXED_SORT_MAX_ROWS", 1)
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/export.csv", {**WINDOW, "sort_by": "total_cost"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["total_cost"] for r in rows] == ["0.015000", "0.007250", "0.006000", "0.003500", ""]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's")
def test_logs_that_take_longer_than_the_timeout_are_not_listed_and_the_page_says_why(
    client, sign_in, org, page_events, settings, monkeypatch
):
    settings.EXPLORER_STATEMENT_TIMEOUT_MS = 100

    def slow_log_events(*args, **kwargs):
        return log_events(*args, **kwargs).extra(where=["(SELECT true FROM pg_sleep(0.5))"])

    monkeypatch.setattr(explorer_views, "log_events", slow_log_events)
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", WINDOW)
    assert response.status_code == 200
    assert response.context["logs"] is None
    assert response.context["query"].problems == [
        "Reading the requests of these filters took too long, so they are not listed; "
        "narrow the dates or filters, or export the CSV."
    ]
    assert response.context["totals"].events == 5  # the rest of the page is there
    assert "Not listed: reading them took too long (see above)." in _text(response)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout is PostgreSQL's")
def test_the_statement_timeout_is_local_to_the_reads_transaction(db):
    # In a request the read's atomic block is the outermost transaction, so the setting
    # ends with its commit; inside the test's own transaction, a rollback shows the same.
    with transaction.atomic():
        with statement_timeout(1234), connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "1234ms"
        transaction.set_rollback(True)
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"
