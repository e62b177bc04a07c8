"""The organization's home: this month's spend against last month's, at a glance."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from carbon.estimator import equivalent
from tokentracker.models import Membership
from tokentracker.pages import organization_page
from usage.selectors.dashboard import overview_read, series_points


@organization_page()
def overview(request: HttpRequest, membership: Membership) -> HttpResponse:
    summary = overview_read(membership.organization_id, now=timezone.now())
    context = {
        "summary": summary,
        "equivalent": equivalent(float(summary.month.co2e_grams)),
        "daily_points": series_points(summary.daily, "day"),
        # The organization's own first request, for the empty state: this deployment's
        # address, never a real key (keys are shown once, on the API keys page).
        "events_url": request.build_absolute_uri(reverse("usage-event-list")),
    }
    return render(request, "usage/overview.html", context)
