import pytest

from tests.factories import OrganizationFactory, UserFactory
from tokentracker.models import Membership, Role

pytestmark = pytest.mark.django_db


def test_a_signed_in_user_creates_an_organization_and_owns_it(client):
    user = UserFactory()
    client.force_login(user)
    OrganizationFactory(slug="acme-labs")
    response = client.post("/organizations/new", {"name": "Acme Labs"})
    assert response.status_code == 302
    assert response["Location"] == "/o/acme-labs-2/"
    membership = Membership.objects.get(user=user)
    assert (membership.organization.name, membership.role) == ("Acme Labs", Role.OWNER)


def test_a_blank_name_is_refused(client):
    client.force_login(UserFactory())
    response = client.post("/organizations/new", {"name": ""})
    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["This field is required."]}
    assert not Membership.objects.exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get("/organizations/new")
    assert response["Location"] == "/accounts/login?next=/organizations/new"
