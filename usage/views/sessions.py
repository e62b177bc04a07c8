"""The sessions list (`sessions/`) and one session's requests (`sessions/<session_id>/`).

Session ids are the clients' strings: a slash, a space or any letter may be in one. Links
encode the whole id as one path segment (`session_path`), and the route takes the rest of
the path, so an id with a slash comes back whole once the server decodes the path.
"""

from urllib.parse import quote

from django.conf import settings
from django.core.paginator import EmptyPage, Page
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from tokentracker.data_mode import page_livemode
from tokentracker.models import Membership
from tokentracker.pages import organization_page
from usage.page_params import window_query
from usage.paging import CappedCountPaginator, ReadTimedOut, statement_timeout
from usage.selectors.sessions import (
    SESSION_ID_MAX_LENGTH,
    SESSION_SORTS,
    session_overview,
    session_requests,
    sessions_list,
)
from usage.windows import NUL, QueryInvalid, positive_int

SESSIONS_PER_PAGE = 50
REQUESTS_PER_PAGE = 100


def session_path(org_slug: str, session_id: str) -> str:
    """The session page's path: the id quoted whole (a slash too, so that ids like "a/../b"
    stay one segment a browser does not normalise)."""
    return reverse("sessions", args=[org_slug]) + quote(session_id, safe="") + "/"


def _page(
    rows: QuerySet, number: int, per_page: int, problems: list[str], noun: str
) -> Page | None:
    paginator = CappedCountPaginator(rows, per_page)
    try:
        with statement_timeout(settings.EXPLORER_STATEMENT_TIMEOUT_MS):
            try:
                return paginator.page(number)
            except EmptyPage:
                problems.append(f"There is no page {number} of these {noun}; this is the last.")
                return paginator.page(paginator.num_pages)
    except ReadTimedOut:
        problems.append(f"Reading these {noun} took too long; narrow the dates.")
        return None


@organization_page()
def sessions_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization_id = membership.organization_id
    window = window_query(request.GET, organization_id)
    problems = window.problems
    # Live sessions unless the person switched the organization's pages to test data.
    livemode = page_livemode(request, organization_id)
    sort = request.GET.get("sort") or "last"
    if sort not in SESSION_SORTS:
        problems.append(f"Sessions cannot be sorted by “{sort}”; sorted by last activity.")
        sort = "last"
    developer = (request.GET.get("developer") or "").strip()
    if NUL in developer or len(developer) > SESSION_ID_MAX_LENGTH:
        problems.append("That developer id cannot exist; showing every developer.")
        developer = ""
    try:
        number = positive_int(request.GET, "page", 1)
    except QueryInvalid as exc:
        problems.append(exc.message)
        number = 1
    rows = sessions_list(
        organization_id=organization_id,
        start=window.scope.start,
        end=window.scope.end,
        sort=sort,
        developer_id=developer,
        livemode=livemode,
    )
    page = _page(rows, number, SESSIONS_PER_PAGE, problems, "sessions")
    slug = membership.organization.slug
    context = {
        "query": window,
        "problems": problems,
        "sessions": page,
        "rows": [(row, session_path(slug, row.session_id)) for row in page or ()],
        "sort": sort,
        "sort_label": SESSION_SORTS[sort],
        "sorts": SESSION_SORTS,
        "developer": developer,
        "livemode": livemode,
        "currency": membership.organization.reporting_currency,
    }
    return render(request, "usage/sessions.html", context)


@organization_page()
def session_page(request: HttpRequest, membership: Membership, session_id: str) -> HttpResponse:
    problems: list[str] = []
    organization_id = membership.organization_id
    # The session in the data the pages show, else in the other (a test event's request
    # page links its session whichever the person is viewing); the page badges test data.
    shown = page_livemode(request, organization_id)
    for livemode in (shown, not shown):
        overview = session_overview(
            organization_id=organization_id, session_id=session_id, livemode=livemode
        )
        if overview is not None:
            break
    else:
        raise Http404("No such session in this organization.")
    try:
        number = positive_int(request.GET, "page", 1)
    except QueryInvalid as exc:
        problems.append(exc.message)
        number = 1
    rows = session_requests(
        organization_id=organization_id, session_id=session_id, livemode=livemode
    )
    page = _page(rows, number, REQUESTS_PER_PAGE, problems, "requests")
    context = {
        "session": overview,
        "problems": problems,
        "requests": page,
        "livemode": livemode,
        "currency": membership.organization.reporting_currency,
        "sessions_url": reverse("sessions", args=[membership.organization.slug]),
    }
    return render(request, "usage/session_detail.html", context)
