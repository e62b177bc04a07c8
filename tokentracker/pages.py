"""Tenant scoping for dashboard pages, in one place (healthchecks' `_get_project_for_user`).

Every page of an organization lives under `/o/<org_slug>/...` and is written as::

    from tokentracker.models import Membership, Role
    from tokentracker.pages import organization_page

    @organization_page()                    # any member: viewer and up
    def overview(request: HttpRequest, membership: Membership) -> HttpResponse:
        organization = membership.organization  # with .plan already loaded
        ...

    @organization_page(role=Role.ADMIN)     # admins and owners; others get 403
    def settings_page(request: HttpRequest, membership: Membership) -> HttpResponse: ...

and routed with the slug as `org_slug`, e.g. in `<app>/page_urls.py`::

    path("explorer/", views.explorer, name="explorer")   # included under "o/<slug:org_slug>/"

The decorator sends anonymous visitors to the login page, answers 404 to anyone who is not
a member of the organization (an outsider cannot even learn that the slug exists), 403 to a
member whose role is below `role`, and remembers the organization as the one the person
works in (the `/` redirect and the CodingVibez session API follow it). A view never looks
an organization up or filters by it by hand: it reads through selectors with
`membership.organization_id`. Finer rules inside a page (may this member revoke that key?)
are `Membership` methods (`can_manage_team`, `can_manage_api_key`, `can_grant`).

The side navigation lists `NAVIGATION` entries whose URL name exists, so a page appears
in the menu as soon as its URL is routed under that name.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

from .models import Membership, Role
from .request_context import organization_bind
from .selectors import ACTIVE_ORGANIZATION_SESSION_KEY

PageView = Callable[..., HttpResponse]

# (label, URL name) of the side navigation, in order. Names not routed yet are skipped.
NAVIGATION: list[tuple[str, str]] = [
    ("Overview", "overview"),
    ("Explorer", "explorer"),
    ("Sessions", "sessions"),
    ("Carbon", "carbon"),
    ("Budgets", "budgets"),
    ("Costs", "costs"),
    ("Expenses", "expenses"),
    ("Integrations", "integrations"),
    ("API keys", "api-keys"),
    ("Members", "members"),
    ("Settings", "settings"),
    ("Plan & billing", "billing_plan"),
]


def membership_for_page(request: HttpRequest, org_slug: str, *, role: str) -> Membership:
    """The signed-in user's membership of the organization `org_slug`.

    Http404 if they are not a member (or it does not exist), PermissionDenied (403) if
    their role is below `role`.
    """
    membership = (
        Membership.objects.select_related("organization__plan", "user")
        .filter(
            user_id=request.user.pk,
            organization__slug=org_slug,
            # Deleting removes every membership; this holds for one added back meanwhile.
            organization__deletion_requested_at__isnull=True,
        )
        .first()
    )
    if membership is None:
        raise Http404("No such organization.")
    if not membership.is_at_least(role):
        raise PermissionDenied(f"This page needs the {Role(role).label.lower()} role or above.")
    organization_bind(membership.organization_id)
    if request.session.get(ACTIVE_ORGANIZATION_SESSION_KEY) != membership.organization_id:
        request.session[ACTIVE_ORGANIZATION_SESSION_KEY] = membership.organization_id
    return membership


def organization_page(role: str = Role.VIEWER) -> Callable[[PageView], PageView]:
    """Decorate a page view of one organization; see the module docstring."""

    def decorator(view: PageView) -> PageView:
        @wraps(view)
        def wrapper(request: HttpRequest, org_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = membership_for_page(request, org_slug, role=role)
            # The base template's organization switcher and navigation read it from here.
            request.membership = membership  # type: ignore[attr-defined]
            return view(request, membership, *args, **kwargs)

        return wrapper

    return decorator


@dataclass(frozen=True)
class NavigationLink:
    label: str
    url: str
    current: bool


def navigation_links(request: HttpRequest, org_slug: str) -> list[NavigationLink]:
    current = request.resolver_match.url_name if request.resolver_match else None
    links = []
    for label, url_name in NAVIGATION:
        try:
            url = reverse(url_name, kwargs={"org_slug": org_slug})
        except NoReverseMatch:
            continue
        links.append(NavigationLink(label=label, url=url, current=url_name == current))
    return links


def same_page_in(request: HttpRequest, org_slug: str) -> str:
    """The page being viewed, in another organization, if it needs nothing but the slug
    (switching from Members lands on the other organization's Members); else its home."""
    match = request.resolver_match
    if match and match.url_name and set(match.kwargs) == {"org_slug"}:
        try:
            return reverse(match.url_name, kwargs={"org_slug": org_slug})
        except NoReverseMatch:
            pass
    return reverse("overview", kwargs={"org_slug": org_slug})
