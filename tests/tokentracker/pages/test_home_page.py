"""`/` and the organization home page `/o/<slug>/`."""

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


@pytest.mark.parametrize("role", [Role.OWNER, Role.VIEWER])
def test_a_member_sees_the_organization_home_with_its_plan(client, sign_in, org, role):
    sign_in(org, role)
    response = client.get("/o/acme/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>Acme</h1>" in content
    assert "Self-hosted" in content
    assert Role(role).label in content


def test_an_outsider_gets_404_on_the_organization_home(client, sign_in, org, outsider_org):
    sign_in(outsider_org, Role.OWNER)
    assert client.get("/o/acme/").status_code == 404


def test_an_anonymous_visitor_of_an_organization_page_is_sent_to_log_in(client, org):
    response = client.get("/o/acme/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login?next=/o/acme/"


def test_the_organization_home_costs_a_fixed_number_of_queries(
    client, sign_in, org, django_assert_num_queries
):
    user = sign_in(org, Role.OWNER)
    for n in range(5):
        MembershipFactory(user=user, organization=OrganizationFactory(slug=f"more-{n}"))
    client.get("/o/acme/")
    # session, user, membership with organization and plan, the switcher's memberships
    with django_assert_num_queries(4):
        assert client.get("/o/acme/").status_code == 200
