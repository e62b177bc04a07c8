"""Date presets, the previous period and the person's time zone on the explorer and carbon
pages (`period=`, `compare=`, the account's time zone)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db.models import Count, Sum
from django.utils import timezone

from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Role, UserProfile
from usage.models import UsageEvent

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _window(response) -> tuple[str, str, str, str]:
    query = response.context["query"]
    return (
        query.start_day,
        query.end_day,
        query.scope.start.isoformat(),
        query.scope.end.isoformat(),
    )


@pytest.mark.parametrize(
    ("period", "window"),
    [
        (
            "today",
            ("2026-03-21", "2026-03-21", "2026-03-21T00:00:00+00:00", "2026-03-22T00:00:00+00:00"),
        ),
        (
            "7d",
            ("2026-03-15", "2026-03-21", "2026-03-15T00:00:00+00:00", "2026-03-22T00:00:00+00:00"),
        ),
        (
            "30d",
            ("2026-02-20", "2026-03-21", "2026-02-20T00:00:00+00:00", "2026-03-22T00:00:00+00:00"),
        ),
        (
            "this_month",
            ("2026-03-01", "2026-03-31", "2026-03-01T00:00:00+00:00", "2026-04-01T00:00:00+00:00"),
        ),
        (
            "last_month",
            ("2026-02-01", "2026-02-28", "2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00"),
        ),
    ],
)
@pytest.mark.parametrize("page", ["explorer", "carbon"])
def test_each_preset_is_its_days_and_marked_current(
    client, sign_in, org, now, period, window, page
):
    sign_in(org, Role.VIEWER)
    response = client.get(f"/o/acme/{page}/", {"period": period})
    assert response.status_code == 200
    assert _window(response) == window
    assert response.context["query"].period == period
    html = response.content.decode()
    assert f'href="?period={period}" aria-current="true"' in html
    presets = html[html.index('<nav class="periods"') :]
    assert presets[: presets.index("</nav>")].count("aria-current") == 1


def test_dates_that_are_a_preset_mark_it_and_others_are_custom(client, sign_in, org, now):
    sign_in(org, Role.VIEWER)
    same = client.get("/o/acme/explorer/", {"start_date": "2026-03-15", "end_date": "2026-03-21"})
    assert same.context["query"].period == "7d"
    other = client.get("/o/acme/explorer/", {"start_date": "2026-03-14", "end_date": "2026-03-21"})
    assert other.context["query"].period == "custom"
    assert 'href="#f-start" aria-current="true">Custom' in other.content.decode()
    # Without dates: the last 30 days, which is the 30-day preset.
    assert client.get("/o/acme/explorer/").context["query"].period == "30d"


def test_a_preset_replaces_the_dates_and_keeps_the_filters(client, sign_in, org, now):
    sign_in(org, Role.VIEWER)
    response = client.get(
        "/o/acme/explorer/",
        {
            "period": "today",
            "start_date": "2026-01-01",
            "end_date": "2026-01-02",
            "model": "gpt-4o",
        },
    )
    assert _window(response)[:2] == ("2026-03-21", "2026-03-21")
    assert response.context["query"].selected["model"] == ("gpt-4o",)
    # The preset links drop the dates and keep the rest (the model filter).
    assert 'href="?period=7d&amp;model=gpt-4o"' in response.content.decode()


@pytest.mark.parametrize("page", ["explorer", "carbon"])
def test_an_unknown_preset_is_a_message_not_a_500(client, sign_in, org, now, page):
    sign_in(org, Role.VIEWER)
    response = client.get(f"/o/acme/{page}/", {"period": "fortnight"})
    assert response.status_code == 200
    assert any("There is no period “fortnight”" in p for p in response.context["query"].problems)
    assert "There is no period" in response.content.decode()
    assert response.context["query"].period == "30d"  # the default window


def test_a_bad_compare_value_is_a_message(client, sign_in, org, now):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", {"compare": "perhaps"})
    assert response.status_code == 200
    assert "compare must be true or false." in response.context["query"].problems
    assert response.context["compared"].totals is not None


def test_the_export_refuses_an_unknown_preset(client, sign_in, org, now):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/export.csv", {"period": "fortnight"})
    assert response.status_code == 400


# Seven days (15-21 March, the 21st running until 13:00) against 8-14 March until 13:00.
WEEKS = [
    {"occurred_at": "2026-03-08T00:10:00Z", "input_tokens": 1000, "output_tokens": 100},
    {"occurred_at": "2026-03-14T12:59:00Z", "input_tokens": 2000, "output_tokens": 0},
    # after 13:00 on the 14th: past the point the running week is compared up to
    {"occurred_at": "2026-03-14T13:00:00Z", "input_tokens": 9000, "output_tokens": 0},
    {"occurred_at": "2026-03-15T00:00:00Z", "input_tokens": 4000, "output_tokens": 400},
    {
        "occurred_at": "2026-03-21T12:10:00Z",
        "input_tokens": 1000,
        "output_tokens": 1000,
        "success": False,
    },
]


def _raw(start: str, end: str) -> dict:
    return UsageEvent.objects.filter(occurred_at__gte=at(start), occurred_at__lt=at(end)).aggregate(
        cost=Sum("total_cost"),
        events=Count("uuid"),
        tokens=Sum("total_tokens"),
        co2e=Sum("co2e_grams"),
    )


def test_the_explorers_figures_beside_the_previous_weeks_add_up_to_the_raw_events(
    client, sign_in, org, now, record
):
    record(*WEEKS)
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", {"period": "7d"})
    compared = response.context["compared"].totals
    assert (compared.previous_start, compared.previous_end) == (
        at("2026-03-08T00:00:00Z"),
        at("2026-03-14T13:00:00Z"),
    )
    now_raw = _raw("2026-03-15T00:00:00Z", "2026-03-22T00:00:00Z")
    before_raw = _raw("2026-03-08T00:00:00Z", "2026-03-14T13:00:00Z")
    # gpt-4o: $2.50 input, $10 output per Mtok
    assert compared.cost.current == Decimal(str(now_raw["cost"])) == Decimal("0.0265")
    assert compared.cost.previous == Decimal(str(before_raw["cost"])) == Decimal("0.0085")
    assert compared.cost.difference == Decimal("0.018")
    assert compared.events.current == now_raw["events"] == 2
    assert compared.events.previous == before_raw["events"] == 2
    assert compared.total_tokens.current == now_raw["tokens"] == 6400
    assert compared.total_tokens.previous == before_raw["tokens"] == 3100
    assert compared.error_rate.current == 0.5 and compared.error_rate.previous == 0.0
    html = response.content.decode()
    assert "Compared with 2026-03-08 to 2026-03-14" in html
    assert "Previous period $0.0085 · <strong>+$0.018</strong> (+212%)" in html
    assert "Previous period 3,100 · <strong>+3,300</strong> (+106%)" in html
    assert "Previous period 0.0% · <strong>+50.0 points</strong>" in html
    # The table beside the chart holds the previous period's days too.
    bucket, totals, previous_bucket, previous = response.context["compared"].rows[0]
    assert (bucket.date().isoformat(), totals.events) == ("2026-03-15", 1)
    assert (previous_bucket.date().isoformat(), previous.events) == ("2026-03-08", 1)
    assert 'data-previous="explorer-series-previous"' in html


def test_the_carbon_page_compares_co2e_and_energy(client, sign_in, org, now, record):
    record(*WEEKS)
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/carbon/", {"period": "7d"})
    compared = response.context["compared"].totals
    now_raw = _raw("2026-03-15T00:00:00Z", "2026-03-22T00:00:00Z")
    before_raw = _raw("2026-03-08T00:00:00Z", "2026-03-14T13:00:00Z")
    assert compared.co2e_grams.current == Decimal(str(now_raw["co2e"])).quantize(Decimal("1e-9"))
    assert compared.co2e_grams.previous == Decimal(str(before_raw["co2e"])).quantize(
        Decimal("1e-9")
    )
    assert compared.co2e_grams.previous > 0
    assert compared.events.previous == 2


def test_new_when_the_previous_period_had_nothing(client, sign_in, org, now, record):
    record({"occurred_at": "2026-03-21T10:00:00Z", "input_tokens": 1000})
    sign_in(org, Role.VIEWER)
    html = client.get("/o/acme/explorer/", {"period": "today"}).content.decode()
    assert "Previous period $0.00 · <strong>new</strong>" in html


def test_unpriced_spend_is_not_compared(client, sign_in, org, now, record):
    record(
        {"occurred_at": "2026-03-21T10:00:00Z", "model": "mystery-model", "input_tokens": 10},
        {"occurred_at": "2026-03-20T10:00:00Z", "input_tokens": 1000},
    )
    sign_in(org, Role.VIEWER)
    html = client.get("/o/acme/explorer/", {"period": "today"}).content.decode()
    assert "no change shown: this period&#x27;s spend is all unpriced" in html


def test_compare_0_turns_the_comparison_off(client, sign_in, org, now, record):
    record(*WEEKS)
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/explorer/", {"period": "7d", "compare": "0"})
    assert response.context["query"].previous is None
    assert response.context["compared"].totals is None
    html = response.content.decode()
    assert "Previous period" not in html
    assert "data-previous" not in html
    assert 'href="?period=7d">Compare with the previous period' in html


def _in_zone(user, zone: str) -> None:
    UserProfile.objects.create(user=user, time_zone=zone)


def test_los_angeles_sees_an_event_of_1_march_utc_on_28_february(
    client, sign_in, org, freeze, record
):
    freeze("2026-03-05T12:00:00Z")
    record({"occurred_at": "2026-03-01T05:00:00Z", "input_tokens": 1000})
    _in_zone(sign_in(org, Role.VIEWER), "America/Los_Angeles")
    response = client.get(
        "/o/acme/explorer/", {"start_date": "2026-02-28", "end_date": "2026-02-28"}
    )
    assert _window(response) == (
        "2026-02-28",
        "2026-02-28",
        "2026-02-28T08:00:00+00:00",
        "2026-03-01T08:00:00+00:00",
    )
    assert response.context["totals"].events == 1
    assert [(b.date().isoformat(), t.events) for b, t in response.context["points"]] == [
        ("2026-02-28", 1)
    ]
    html = response.content.decode()
    assert "(America/Los_Angeles)" in html
    assert "2026-02-28 21:00:00" in html  # the log row, in local time
    # The same dates for someone in UTC do not hold it.
    other = OrganizationFactory(slug="other")
    assert other  # a second person of the same organization, in UTC
    utc_member = MembershipFactory(organization=org, role=Role.VIEWER)
    client.force_login(utc_member.user)
    utc = client.get("/o/acme/explorer/", {"start_date": "2026-02-28", "end_date": "2026-02-28"})
    assert utc.context["totals"].events == 0


def test_today_and_this_month_are_local_days(client, sign_in, org, freeze):
    # 05:00 UTC on 1 April is still 31 March in Los Angeles (22:00 PDT).
    freeze("2026-04-01T05:00:00Z")
    _in_zone(sign_in(org, Role.VIEWER), "America/Los_Angeles")
    today = client.get("/o/acme/explorer/", {"period": "today"})
    assert _window(today) == (
        "2026-03-31",
        "2026-03-31",
        "2026-03-31T07:00:00+00:00",
        "2026-04-01T07:00:00+00:00",
    )
    month = client.get("/o/acme/carbon/", {"period": "this_month"})
    assert _window(month) == (
        "2026-03-01",
        "2026-03-31",
        "2026-03-01T08:00:00+00:00",
        "2026-04-01T07:00:00+00:00",
    )
    previous = month.context["query"].previous
    # March so far (until 05:00 UTC on 1 April, 22:00 on the 31st) against February up
    # to its last day at the same local hour (22:00 PST is 06:00 UTC).
    assert (previous.start, previous.end) == (
        at("2026-02-01T08:00:00Z"),
        at("2026-03-01T06:00:00Z"),
    )


def test_kolkata_days_start_at_the_utc_hour_of_midnight_and_the_page_says_so(
    client, sign_in, org, now
):
    _in_zone(sign_in(org, Role.VIEWER), "Asia/Kolkata")
    response = client.get(
        "/o/acme/explorer/", {"start_date": "2026-03-01", "end_date": "2026-03-01"}
    )
    assert _window(response) == (
        "2026-03-01",
        "2026-03-01",
        "2026-02-28T18:00:00+00:00",
        "2026-03-01T18:00:00+00:00",
    )
    assert "30 minutes off a whole hour" in response.content.decode()


def test_the_apis_stay_in_utc_for_a_person_in_los_angeles(
    client, sign_in, org, api, raw_key, freeze, record
):
    freeze("2026-03-05T12:00:00Z")
    record({"occurred_at": "2026-03-01T05:00:00Z", "input_tokens": 1000})
    _in_zone(sign_in(org, Role.VIEWER), "America/Los_Angeles")
    assert client.get("/o/acme/explorer/").status_code == 200
    assert timezone.get_current_timezone_name() == "UTC"  # nothing leaks past the page
    trend = api.get(
        "/api/metrics/trend", raw_key, start_date="2026-02-28", end_date="2026-03-01"
    ).json()["trends"]
    assert [(point["timestamp"], point["request_count"]) for point in trend] == [
        ("2026-02-28T00:00:00Z", 0),
        ("2026-03-01T00:00:00Z", 1),
    ]
    assert timezone.get_current_timezone() is not None and datetime.now(UTC)


def test_signed_out_visitors_are_sent_to_log_in(client, org):
    response = client.get("/o/acme/explorer/", {"period": "7d"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login")


def test_an_outsider_gets_a_404_whatever_the_period(client, sign_in, org, outsider_org):
    sign_in(outsider_org, Role.OWNER)
    assert client.get("/o/acme/explorer/", {"period": "7d"}).status_code == 404
    assert client.get("/o/acme/carbon/", {"period": "last_month"}).status_code == 404


def test_the_overview_shows_this_month_so_far_against_last_month_so_far(
    client, sign_in, org, page_events
):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/")
    query = response.context["query"]
    assert query.period == "this_month"
    comparison = response.context["comparison"]
    assert (comparison.previous_start, comparison.previous_end) == (
        at("2026-02-01T00:00:00Z"),
        at("2026-02-21T13:00:00Z"),
    )
    assert comparison.cost.previous == Decimal("0.000125")  # the 10 February call
    raw = _raw("2026-03-01T00:00:00Z", "2026-03-21T13:00:00Z")
    assert comparison.cost.current == Decimal(str(raw["cost"])) == Decimal("0.03175")
    assert comparison.events.current == raw["events"] == 5
    html = response.content.decode()
    assert '<a class="period-preset" href="?period=this_month" aria-current="true">' in html
    assert "Previous period 1 · <strong>+4</strong> (+400%)" in html
    assert 'data-previous="daily-spend-previous"' in html


def test_the_overview_follows_a_preset(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/", {"period": "last_month"})
    summary = response.context["summary"]
    assert (summary.month.events, summary.month.cost) == (1, Decimal("0.000125"))
    assert len(summary.daily) == 28  # every day of February
    assert response.context["comparison"].events.previous == 0  # January
    assert "Previous period 0 · <strong>new</strong>" in response.content.decode()
    off = client.get("/o/acme/", {"period": "last_month", "compare": "0"})
    assert off.context["comparison"] is None
    assert "Previous period" not in off.content.decode()


def test_the_overview_counts_local_days(client, sign_in, org, freeze, record):
    freeze("2026-03-05T12:00:00Z")
    record({"occurred_at": "2026-03-01T05:00:00Z", "input_tokens": 1000})
    _in_zone(sign_in(org, Role.VIEWER), "America/Los_Angeles")
    # 28 February in Los Angeles: last month's, not this month's.
    response = client.get("/o/acme/")
    assert response.context["summary"].month.events == 0
    assert response.context["comparison"].events.previous == 0  # February 1-5 so far
    last = client.get("/o/acme/", {"period": "last_month"})
    assert last.context["summary"].month.events == 1
    assert [t.events for _, t in last.context["summary"].daily][-1] == 1


def test_the_overview_says_what_is_wrong_with_a_period(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/", {"period": "yesterday-ish"})
    assert response.status_code == 200
    assert "There is no period" in response.content.decode()


def test_of_two_presets_with_the_same_days_the_one_asked_for_is_marked(
    client, sign_in, org, freeze
):
    freeze("2026-04-30T12:00:00Z")  # April: this month is also the last 30 days
    sign_in(org, Role.VIEWER)
    assert (
        client.get("/o/acme/explorer/", {"period": "this_month"}).context["query"].period
        == "this_month"
    )
    assert client.get("/o/acme/explorer/", {"period": "30d"}).context["query"].period == "30d"
    assert client.get("/o/acme/").context["query"].period == "this_month"
