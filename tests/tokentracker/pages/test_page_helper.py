"""`organization_page`: the one place organization pages are scoped (404, 403, login)."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Role
from tokentracker.pages import membership_for_page
from tokentracker.selectors import ACTIVE_ORGANIZATION_SESSION_KEY

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    return request


def test_a_member_gets_their_membership_with_the_organization_and_plan(org):
    membership = MembershipFactory(organization=org, role=Role.VIEWER)
    found = membership_for_page(_request(membership.user), "acme", role=Role.VIEWER)
    assert found == membership
    assert found.organization.plan.name == "Self-hosted"


def test_a_member_of_another_organization_gets_404(org, outsider_org):
    membership = MembershipFactory(organization=outsider_org, role=Role.OWNER)
    with pytest.raises(Http404):
        membership_for_page(_request(membership.user), "acme", role=Role.VIEWER)


def test_an_unknown_slug_is_404_like_a_foreign_one(org):
    membership = MembershipFactory(organization=org, role=Role.OWNER)
    with pytest.raises(Http404):
        membership_for_page(_request(membership.user), "nope", role=Role.VIEWER)


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        (Role.VIEWER, Role.MEMBER, False),
        (Role.MEMBER, Role.MEMBER, True),
        (Role.MEMBER, Role.ADMIN, False),
        (Role.ADMIN, Role.ADMIN, True),
        (Role.ADMIN, Role.OWNER, False),
        (Role.OWNER, Role.ADMIN, True),
    ],
)
def test_a_role_below_the_pages_is_refused_with_403(org, role, needed, allowed):
    membership = MembershipFactory(organization=org, role=role)
    request = _request(membership.user)
    if allowed:
        assert membership_for_page(request, "acme", role=needed) == membership
    else:
        with pytest.raises(PermissionDenied):
            membership_for_page(request, "acme", role=needed)


def test_the_organization_is_remembered_as_the_one_last_worked_in(org):
    membership = MembershipFactory(organization=org)
    request = _request(membership.user)
    membership_for_page(request, "acme", role=Role.VIEWER)
    assert request.session[ACTIVE_ORGANIZATION_SESSION_KEY] == org.id


def test_navigation_lists_only_pages_that_are_routed(client, sign_in, org, monkeypatch):
    monkeypatch.setattr(
        "tokentracker.pages.NAVIGATION", [("Overview", "overview"), ("Later", "not-routed-yet")]
    )
    sign_in(org, Role.VIEWER)
    response = client.get("/o/acme/")
    assert [(link.label, link.url, link.current) for link in response.context["navigation"]] == [
        ("Overview", "/o/acme/", True)
    ]
    assert 'aria-current="page">Overview</a>' in response.content.decode()


def test_every_navigation_link_opens(client, sign_in, org):
    sign_in(org, Role.OWNER)
    links = client.get("/o/acme/").context["navigation"]
    assert links
    for link in links:
        assert client.get(link.url).status_code == 200, link.url


def test_the_switcher_lists_every_organization_of_the_user_and_keeps_the_page(client, sign_in, org):
    user = sign_in(org, Role.OWNER)
    other = OrganizationFactory(slug="beta", name="Beta")
    MembershipFactory(user=user, organization=other, role=Role.VIEWER)
    OrganizationFactory(slug="gamma")  # not theirs
    response = client.get("/o/acme/")
    switcher = list(response.context["organization_switcher"])
    assert [(entry["name"], entry["role"], entry["current"]) for entry in switcher] == [
        ("Acme", "Owner", True),
        ("Beta", "Viewer", False),
    ]
    assert switcher[1]["url"] == "/o/beta/"
    assert b'href="/o/beta/"' in response.content
