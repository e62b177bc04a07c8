"""The carbon page `/o/<slug>/carbon/` (CO2e and energy over time and by model, from the
rollups) and the methodology page it links to."""

from pathlib import Path

import pytest
from django.db.models import Sum

from carbon.estimator import equivalent
from carbon.selectors import markdown_html, methodology_current, methodology_html
from tokentracker.models import Role
from usage.models import UsageEvent
from usage.templatetags.usage_format import energy, grams

pytestmark = pytest.mark.django_db
WINDOW = {"start_date": "2026-03-20", "end_date": "2026-03-21"}
EVENTS = [
    {
        "provider": "openai",
        "model": "gpt-4o",
        "occurred_at": "2026-03-20T10:15:00Z",
        "input_tokens": 1000,
        "output_tokens": 500,
    },
    {
        "provider": "anthropic",
        "model": "claude-sonnet-4-5",
        "occurred_at": "2026-03-21T11:45:00Z",
        "input_tokens": 1000,
        "output_tokens": 2000,
    },
    {  # outside the window
        "provider": "openai",
        "model": "gpt-4o",
        "occurred_at": "2026-03-10T10:00:00Z",
        "input_tokens": 10,
        "output_tokens": 10,
    },
]


@pytest.fixture
def carbon_events(freeze, record):
    freeze("2026-03-21T12:30:00Z")
    record(*EVENTS)


def _sums(org, **filters):
    return UsageEvent.objects.filter(
        organization=org, occurred_at__range=("2026-03-20T00:00Z", "2026-03-21T23:59Z"), **filters
    ).aggregate(co2e=Sum("co2e_grams"), energy=Sum("energy_wh"))


@pytest.mark.parametrize("role", [Role.OWNER, Role.VIEWER])
def test_owner_and_viewer_see_the_windows_co2e_energy_and_equivalent(
    client, sign_in, org, carbon_events, role
):
    sign_in(org, role)
    response = client.get("/o/acme/carbon/", WINDOW)
    assert response.status_code == 200
    expected = _sums(org)
    totals = response.context["totals"]
    assert (totals.events, totals.co2e_grams, totals.energy_wh) == (
        2,
        expected["co2e"],
        expected["energy"],
    )
    content = response.content.decode()
    assert grams(expected["co2e"]) in content
    assert energy(expected["energy"]) in content
    assert equivalent(float(expected["co2e"])).capitalize()[:20] in content
    assert methodology_current() in content


def test_co2e_by_model_is_largest_first(client, sign_in, org, carbon_events):
    sign_in(org, Role.VIEWER)
    by_model = client.get("/o/acme/carbon/", WINDOW).context["by_model"]
    claude = _sums(org, model="claude-sonnet-4-5")["co2e"]
    gpt = _sums(org, model="gpt-4o")["co2e"]
    # 2,000 output tokens of Claude against 500 of gpt-4o, though gpt-4o's spend is lower
    assert claude > gpt
    assert [(keys["model"], totals.co2e_grams) for keys, totals in by_model] == [
        ("claude-sonnet-4-5", claude),
        ("gpt-4o", gpt),
    ]


def test_co2e_over_time_has_a_point_per_day(client, sign_in, org, carbon_events):
    sign_in(org, Role.VIEWER)
    points = client.get("/o/acme/carbon/", WINDOW).context["chart_points"]
    assert [p["label"] for p in points] == ["2026-03-20", "2026-03-21"]
    assert points[1]["co2e_grams"] == pytest.approx(
        float(_sums(org, model="claude-sonnet-4-5")["co2e"])
    )


def test_a_bad_date_is_a_message_on_the_page(client, sign_in, org, carbon_events):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/carbon/", {"end_date": "2026-02-30"})
    assert response.status_code == 200
    assert "end_date must be a date (YYYY-MM-DD)" in response.content.decode()


def test_a_period_without_requests_says_so(client, sign_in, org, carbon_events):
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/carbon/", {"start_date": "2025-01-01", "end_date": "2025-01-31"})
    content = response.content.decode()
    assert "None estimated in this period" in content
    assert "No requests in this period." in content
    assert "carbon-series" not in content


@pytest.mark.parametrize("role", [Role.OWNER, Role.VIEWER])
def test_the_methodology_page_renders_the_repositorys_methodology_as_html(
    client, sign_in, org, role
):
    sign_in(org, role)
    response = client.get("/o/acme/carbon/methodology")
    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>Carbon methodology</h1>" in content
    assert "<h2>What is counted</h2>" in content
    assert "<th>counted</th>\n<th>not counted</th>" in content  # the Markdown table
    assert "<strong>methodology version</strong>" in content
    assert "# Carbon methodology" not in content
    assert "<pre>" + "# Carbon" not in content
    assert 'href="/o/acme/carbon/"' in content


def test_methodology_markdown_escapes_raw_html_instead_of_passing_it_through():
    assert str(markdown_html("a <script>alert(1)</script>\n\n<div onclick=x>b</div>")) == (
        "<p>a &lt;script&gt;alert(1)&lt;/script&gt;</p>\n<p>&lt;div onclick=x&gt;b&lt;/div&gt;</p>"
    )


def test_the_methodology_is_rendered_once_per_process(monkeypatch):
    methodology_html.cache_clear()
    reads = []
    original = Path.read_text

    def counting_read_text(path, *args, **kwargs):
        reads.append(path.name)
        return original(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting_read_text)
    first = methodology_html()
    assert methodology_html() is first
    assert reads == ["METHODOLOGY.md"]


@pytest.mark.parametrize("path", ["/o/acme/carbon/", "/o/acme/carbon/methodology"])
def test_an_outsider_gets_404(client, sign_in, org, outsider_org, path):
    sign_in(outsider_org, Role.OWNER)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/o/acme/carbon/", "/o/acme/carbon/methodology"])
def test_an_anonymous_visitor_is_sent_to_log_in(client, org, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login?next={path}"


def test_parameters_the_page_does_not_offer_are_ignored_not_reported(
    client, sign_in, org, carbon_events
):
    sign_in(org, Role.VIEWER)
    response = client.get(
        "/o/acme/carbon/",
        {**WINDOW, "page": "999", "sort_by": "nonsense", "model": "gpt-4o", "sort_desc": "x"},
    )
    assert response.status_code == 200
    assert response.context["query"].problems == []
    assert response.context["totals"].events == 2  # both models: no filter on this page
    assert 'role="alert"' not in response.content.decode()


def test_the_carbon_page_costs_a_fixed_number_of_queries_whatever_the_models(
    client, sign_in, org, carbon_events, record, django_assert_num_queries
):
    sign_in(org, Role.VIEWER)
    client.get("/o/acme/carbon/", WINDOW)
    # session, user, membership; CO2e by model and the series (daily rollups); the
    # switcher's memberships (the methodology version comes from the cached carbon book);
    # the previous period's totals and series (a daily and an hourly read each: it is cut
    # at this hour two days ago, for the window runs until now)
    with django_assert_num_queries(10):
        assert len(client.get("/o/acme/carbon/", WINDOW).context["by_model"]) == 2
    record(
        {
            "provider": "google",
            "model": "gemini-2.5-pro",
            "occurred_at": "2026-03-20T09:00:00Z",
            "input_tokens": 10,
            "output_tokens": 10,
        },
        {
            "provider": "openai",
            "model": "o4-mini",
            "occurred_at": "2026-03-21T09:00:00Z",
            "input_tokens": 10,
            "output_tokens": 10,
        },
    )
    with django_assert_num_queries(10):
        assert len(client.get("/o/acme/carbon/", WINDOW).context["by_model"]) == 4
