"""The carbon pages: CO2e and energy of the organization's usage, and the methodology."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from carbon.estimator import equivalent
from carbon.selectors import methodology_current, methodology_html
from tokentracker.data_mode import page_livemode
from tokentracker.models import Membership
from tokentracker.pages import organization_page
from usage.page_params import window_query
from usage.selectors.dashboard import series_points, usage_by_co2e
from usage.selectors.periods import rows_compared, window_compared
from usage.selectors.series import usage_series
from usage.selectors.usage import GRANULARITIES, UsageTotals, usage_by


@organization_page()
def carbon_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    # The explorer's window parser (same dates, defaults and messages), without the
    # explorer's filters, sorting and pages, which this page does not offer.
    organization_id = membership.organization_id
    query = window_query(
        request.GET, organization_id, livemode=page_livemode(request, organization_id)
    )
    by_model = usage_by_co2e(query.scope, "provider", "model")
    points = usage_series(query.scope, query.granularity, query.zone)
    totals = UsageTotals.combined(totals for _, totals in by_model)
    # The previous period by model: one read gives its totals (the headline changes) and
    # each row's previous CO2e.
    previous = query.previous
    previous_by_model = usage_by(previous, "provider", "model") if previous else None
    previous_totals = (
        None if previous_by_model is None else UsageTotals.combined(t for _, t in previous_by_model)
    )
    compared = window_compared(
        totals, points, previous, query.granularity, query.zone, previous_totals
    )
    context = {
        "query": query,
        "totals": totals,
        "equivalent": equivalent(float(totals.co2e_grams)),
        "by_model": by_model,
        "by_model_compared": rows_compared(
            by_model, previous_by_model, (previous.start, previous.end) if previous else None
        ),
        "points": points,
        "chart_points": series_points(points, query.granularity),
        "compared": compared,
        "methodology_version": methodology_current(),
        "granularities": GRANULARITIES,
    }
    return render(request, "carbon/carbon.html", context)


@organization_page()
def methodology_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    return render(request, "carbon/methodology.html", {"methodology": methodology_html()})
