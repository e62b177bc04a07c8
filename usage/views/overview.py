"""The organization's home: this month's spend against last month's, at a glance."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from carbon.estimator import equivalent
from tokentracker.data_mode import page_livemode
from tokentracker.models import Membership
from tokentracker.pages import organization_page
from tokentracker.selectors import api_keys_that_write
from usage.page_params import STACKS, stack_choice
from usage.selectors.conversions import unconverted_amounts
from usage.selectors.dashboard import overview_read, series_points
from usage.selectors.month_charts import month_charts
from usage.selectors.stacks import stacked_series
from usage.selectors.usage import UsageScope


@organization_page()
def overview(request: HttpRequest, membership: Membership) -> HttpResponse:
    now = timezone.now()
    livemode = page_livemode(request, membership.organization_id)
    summary = overview_read(membership.organization_id, now=now, livemode=livemode)
    problems: list[str] = []
    stack = stack_choice(request.GET, problems)
    month = UsageScope(
        membership.organization_id, summary.month_start, summary.month_end, livemode=livemode
    )
    stacked = (
        stacked_series(month, "day", stack) if stack != "none" and summary.month.events else None
    )
    context = {
        "problems": problems,
        "stack": stack,
        "stacks": STACKS,
        "stacked": stacked,
        "stacked_chart": stacked.chart_data("day") if stacked else None,
        "summary": summary,
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
