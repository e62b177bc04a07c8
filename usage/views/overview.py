"""The organization's home: this month so far (or a preset's window) against the previous
period, at a glance."""

from dataclasses import replace

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from carbon.estimator import equivalent
from tokentracker.data_mode import page_livemode
from tokentracker.models import Membership
from tokentracker.pages import organization_page
from tokentracker.selectors import api_keys_that_write
from usage.page_params import STACKS, stack_choice, window_query
from usage.selectors.conversions import unconverted_amounts
from usage.selectors.dashboard import overview_read, series_points
from usage.selectors.month_charts import month_charts
from usage.selectors.periods import TotalsComparison, rows_compared, series_aligned
from usage.selectors.stacks import stacked_series


@organization_page()
def overview(request: HttpRequest, membership: Membership) -> HttpResponse:
    now = timezone.now()
    organization_id = membership.organization_id
    livemode = page_livemode(request, organization_id)
    # This month so far in the person's zone, or a preset or dates (the explorer's parser),
    # against the previous period; billing's month charts stay on the calendar month.
    query = window_query(
        request.GET, organization_id, default_period="this_month", livemode=livemode
    )
    stack = stack_choice(request.GET, query.problems)
    previous = query.previous
    summary = overview_read(
        organization_id,
        now=now,
        window=(query.scope.start, query.scope.end),
        previous=(previous.start, previous.end) if previous else None,
        zone=query.zone,
        livemode=livemode,
    )
    comparison = (
        TotalsComparison(summary.month, summary.last_month, previous.start, previous.end)
        if previous
        else None
    )
    rows = series_aligned(summary.daily, summary.previous_daily or [])
    # Each top row beside the previous period's figure, from the previous period's one
    # grouped read (overview_read): no read per row.
    previous_window = (previous.start, previous.end) if previous else None
    stacked = (
        # Over the days the daily chart shows (the window up to this hour).
        stacked_series(
            replace(query.scope, start=summary.month_start, end=summary.month_end),
            "day",
            stack,
            zone=query.zone,
        )
        if stack != "none" and summary.month.events
        else None
    )
    context = {
        "query": query,
        "problems": query.problems,
        "stack": stack,
        "stacks": STACKS,
        "stacked": stacked,
        "stacked_chart": stacked.chart_data("day") if stacked else None,
        "summary": summary,
        "comparison": comparison,
        "daily_rows": rows,
        "top_models": rows_compared(summary.top_models, summary.previous_by_model, previous_window),
        "top_providers": rows_compared(
            summary.top_providers, summary.previous_by_provider, previous_window
        ),
        "previous_daily_points": series_points(
            [(bucket, totals) for _, _, bucket, totals in rows if bucket], "day"
        )
        if previous
        else None,
        "equivalent": equivalent(float(summary.month.co2e_grams)),
        "daily_points": series_points(summary.daily, "day"),
        # Drawn by the apps above usage (billing: spend against the budget, projected to
        # the month's end); see usage.selectors.month_charts. Budgets and invoices are
        # about live spend, so test data has none of them.
        "month_charts": month_charts(membership.organization_id, now=now)
        if summary.has_events and livemode
        else [],
        # Costs with no exchange rate for their day: beside the spend, never in it. The
        # rollups count them with the unpriced events, so most months need no query.
        "unconverted_this_month": unconverted_amounts(
            membership.organization_id,
            start=summary.month_start,
            end=summary.month_end,
            livemode=livemode,
        )
        if summary.month.unpriced_events
        else [],
        # The organization's own first request, for the empty state: this deployment's
        # address, never a real key (keys are shown once, on the API keys page).
        "events_url": request.build_absolute_uri(reverse("usage-event-list")),
        # Keys it already has (the demo key `make run` printed): named, not created again.
        "write_keys": api_keys_that_write(membership.organization_id)
        if not summary.has_events
        else [],
    }
    return render(request, "usage/overview.html", context)
