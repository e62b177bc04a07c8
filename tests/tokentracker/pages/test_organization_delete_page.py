"""Deleting an organization from its settings page: owners only, confirmed by typing the
slug; the organization is gone for everyone at once and its data is deleted."""

import pytest

from tokentracker.models import Organization, Role
from usage.models import UsageEvent

pytestmark = pytest.mark.django_db
PATH = "/o/acme/delete"
SETTINGS = "/o/acme/settings/"


def test_the_danger_zone_is_shown_to_owners_only(client, sign_in, org):
    sign_in(org, Role.OWNER)
    assert "Delete this organization" in client.get(SETTINGS).content.decode()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MEMBER, Role.VIEWER])
def test_others_do_not_see_it(client, sign_in, org, role):
    sign_in(org, role)
    assert "Delete this organization" not in client.get(SETTINGS).content.decode()


def test_an_owner_deletes_the_organization(
    client, sign_in, org, outsider_org, record, django_capture_on_commit_callbacks
):
    record({"input_tokens": 10})
    record({"input_tokens": 10}, organization=outsider_org)
    sign_in(org, Role.OWNER)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PATH, {"confirmation": "acme"}, follow=True)
    # Home has no organization left to open for this person: it offers to create one.
    assert response.redirect_chain[0] == ("/", 302)
    assert "Acme is being deleted" in response.content.decode()
    assert not Organization.objects.filter(slug="acme").exists()
    assert not UsageEvent.objects.filter(organization_id=org.id).exists()
    assert UsageEvent.objects.filter(organization=outsider_org).count() == 1
    assert client.get(SETTINGS).status_code == 404


@pytest.mark.parametrize("typed", ["", "Acme", "acme-please"])
def test_a_wrong_confirmation_is_a_form_error_and_deletes_nothing(
    client, sign_in, org, record, typed
):
    record({"input_tokens": 10})
    sign_in(org, Role.OWNER)
    response = client.post(PATH, {"confirmation": typed})
    assert response.status_code == 400
    content = response.content.decode()
    assert 'class="errorlist"' in content
    organization = Organization.objects.get(pk=org.pk)
    assert organization.deletion_requested_at is None
    assert organization.memberships.count() == 1
    assert UsageEvent.objects.filter(organization=org).count() == 1


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MEMBER, Role.VIEWER])
def test_admins_and_below_get_403(client, sign_in, org, role):
    sign_in(org, role)
    assert client.post(PATH, {"confirmation": "acme"}).status_code == 403
    assert Organization.objects.get(pk=org.pk).deletion_requested_at is None


def test_an_owner_of_another_organization_gets_404(client, sign_in, org, outsider_org):
    sign_in(outsider_org, Role.OWNER)
    assert client.post(PATH, {"confirmation": "acme"}).status_code == 404
    assert Organization.objects.get(pk=org.pk).deletion_requested_at is None


def test_signed_out_visitors_are_sent_to_log_in(client, org):
    response = client.post(PATH, {"confirmation": "acme"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login")
    assert Organization.objects.get(pk=org.pk).deletion_requested_at is None


def test_only_post_is_accepted(client, sign_in, org):
    sign_in(org, Role.OWNER)
    assert client.get(PATH).status_code == 405


def test_the_form_needs_the_csrf_token(sign_in, org):
    from django.test import Client

    user = sign_in(org, Role.OWNER)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post(PATH, {"confirmation": "acme"}).status_code == 403
    assert Organization.objects.get(pk=org.pk).deletion_requested_at is None
