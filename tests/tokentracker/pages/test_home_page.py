"""`/`, and where it sends people (the overview page itself: tests/usage/pages)."""

import pytest

from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tokentracker.models import Role

pytestmark = pytest.mark.django_db


def test_an_anonymous_visitor_of_the_root_is_sent_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login"


def test_a_signed_in_user_goes_to_the_organization_they_last_used(client, org):
    membership = MembershipFactory(organization=org, role=Role.MEMBER)
    MembershipFactory(user=membership.user, organization=OrganizationFactory(slug="zeta"))
    client.force_login(membership.user)
    assert client.get("/")["Location"] == "/o/acme/"
    client.get("/o/zeta/")
    assert client.get("/")["Location"] == "/o/zeta/"


def test_a_user_without_an_organization_is_offered_to_create_one(client):
    client.force_login(UserFactory())
    assert client.get("/")["Location"] == "/organizations/new"


def test_an_anonymous_visitor_of_an_organization_page_is_sent_to_log_in(client, org):
    response = client.get("/o/acme/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login?next=/o/acme/"
