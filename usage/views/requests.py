"""One request (usage event) in full: tokens, cost parts, CO2e, payloads, eval scores."""

from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from tokentracker.models import Membership
from tokentracker.pages import organization_page
from usage.selectors.dashboard import request_detail


@organization_page()
def request_page(request: HttpRequest, membership: Membership, uuid: UUID) -> HttpResponse:
    detail = request_detail(membership.organization_id, uuid)
    if detail is None:
        raise Http404("No such request in this organization.")
    return render(request, "usage/request_detail.html", {"detail": detail, "event": detail.event})
