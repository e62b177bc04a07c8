"""CodingVibez team endpoints: organizations, members, invitations."""

import json

import pytest
from django.core import mail

from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Invitation, Role
from tokentracker.services_teams import invitation_create

from .helpers import data, error

pytestmark = pytest.mark.django_db


def post_json(client, path, body, **headers):
    payload = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, payload, content_type="application/json", **headers)


# GET /api/organizations


def test_a_signed_in_person_lists_their_organizations_with_roles(client, sign_in, org):
    user = sign_in(org, Role.ADMIN)
    MembershipFactory(user=user, organization=OrganizationFactory(slug="beta"), role=Role.VIEWER)
    OrganizationFactory(slug="gamma")
    body = data(client.get("/api/organizations"))
    assert [(o["slug"], o["role"], o["current"], o["plan"]) for o in body["organizations"]] == [
        ("acme", "admin", True, "Self-hosted"),
        ("beta", "viewer", False, "Self-hosted"),
    ]
    assert body["organizations"][0]["id"] == str(org.uuid)
    assert body["organizations"][0]["createdAt"].endswith("Z")


def test_current_follows_the_organization_opened_last_in_the_dashboard(client, sign_in, org):
    user = sign_in(org, Role.ADMIN)
    MembershipFactory(user=user, organization=OrganizationFactory(slug="beta"))
    client.get("/o/beta/")
    current = [
        o["slug"] for o in data(client.get("/api/organizations"))["organizations"] if o["current"]
    ]
    assert current == ["beta"]


def test_an_api_key_lists_its_own_organization_only(api, raw_key, org, outsider_org):
    body = data(api.get("/api/organizations", raw_key))
    assert [(o["slug"], o["role"], o["current"]) for o in body["organizations"]] == [
        ("acme", None, True)
    ]


def test_organizations_without_a_key_is_an_authentication_error(api):
    error(api.get("/api/organizations"), 401, "AUTHENTICATION_ERROR")


# GET /api/team/members


def test_members_lists_the_team_owners_first(client, sign_in, org, outsider_org):
    MembershipFactory(organization=org, role=Role.OWNER, user__email="boss@example.com")
    sign_in(org, Role.VIEWER, email="me@example.com", first_name="Me")
    MembershipFactory(organization=outsider_org, user__email="stranger@example.com")
    body = data(client.get("/api/team/members"))
    assert body["organizationId"] == str(org.uuid)
    assert [(m["email"], m["role"]) for m in body["members"]] == [
        ("boss@example.com", "owner"),
        ("me@example.com", "viewer"),
    ]
    assert set(body["members"][1]) == {"id", "email", "name", "role", "joinedAt"}
    assert body["invitations"] == []


def test_admins_also_see_open_invitations(client, sign_in, org):
    sign_in(org, Role.ADMIN)
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    invitation_create(invited_by=owner, email="new@example.com", role="member", base_url="http://x")
    [invitation] = data(client.get("/api/team/members"))["invitations"]
    assert (invitation["email"], invitation["role"], invitation["status"]) == (
        "new@example.com",
        "member",
        "pending",
    )
    assert invitation["invitedBy"] == owner.user.email


def test_an_outsiders_key_reads_its_own_team_not_this_one(api, outsider_key, org):
    MembershipFactory(organization=org, user__email="acme-person@example.com")
    body = data(api.get("/api/team/members", outsider_key))
    assert body["members"] == []
    assert body["invitations"] == []


def test_members_without_a_key_is_an_authentication_error(api):
    error(api.get("/api/team/members"), 401, "AUTHENTICATION_ERROR")


def test_members_costs_a_fixed_number_of_queries(client, sign_in, org, django_assert_num_queries):
    sign_in(org, Role.OWNER)
    for _ in range(6):
        MembershipFactory(organization=org)
    client.get("/api/team/members")
    # session, user, active membership, organization uuid, members, invitations
    with django_assert_num_queries(6):
        data(client.get("/api/team/members"))


# POST /api/team/invitations


def test_an_admin_invites_by_email_and_role(
    client, sign_in, org, django_capture_on_commit_callbacks
):
    sign_in(org, Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            client, "/api/team/invitations", {"email": "New@Example.com", "role": "member"}
        )
    body = data(response, 201)
    assert (body["email"], body["role"], body["status"]) == ("new@example.com", "member", "pending")
    assert body["expiresAt"].endswith("Z")
    assert Invitation.objects.get().organization == org
    assert "http://testserver/invitations/" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"role": "member"}, "email: required, an email address"),
        ({"email": "nope", "role": "member"}, "email: 'nope' is not an email address"),
        ({"email": "a@example.com"}, "role: one of owner, admin, member, viewer"),
        ({"email": "a@example.com", "role": "god"}, "role: one of owner, admin, member, viewer"),
        ([], "email: required, an email address"),
        ({"email": "a" * 140 + "@example.com", "role": "member"}, "email: at most 150 characters"),
    ],
)
def test_bad_input_is_a_validation_error(client, sign_in, org, body, message):
    sign_in(org, Role.OWNER)
    assert (
        error(post_json(client, "/api/team/invitations", body), 400, "VALIDATION_ERROR") == message
    )
    assert not Invitation.objects.exists()


def test_malformed_json_is_a_validation_error(client, sign_in, org):
    sign_in(org, Role.OWNER)
    error(post_json(client, "/api/team/invitations", "{nope"), 400, "VALIDATION_ERROR")


def test_inviting_a_member_again_is_a_validation_error(client, sign_in, org):
    sign_in(org, Role.OWNER, email="me@example.com")
    message = error(
        post_json(client, "/api/team/invitations", {"email": "me@example.com", "role": "viewer"}),
        400,
        "VALIDATION_ERROR",
    )
    assert message == "me@example.com is already a member of Acme."


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEMBER])
def test_viewers_and_members_cannot_invite(client, sign_in, org, role):
    sign_in(org, role)
    response = post_json(
        client, "/api/team/invitations", {"email": "a@example.com", "role": "viewer"}
    )
    assert error(response, 403, "AUTHORIZATION_ERROR") == "Only admins and owners invite people."
    assert not Invitation.objects.exists()


def test_an_admin_cannot_invite_an_owner(client, sign_in, org):
    sign_in(org, Role.ADMIN)
    response = post_json(
        client, "/api/team/invitations", {"email": "a@example.com", "role": "owner"}
    )
    error(response, 403, "AUTHORIZATION_ERROR")


def test_an_api_key_cannot_invite(api, raw_key):
    response = api.post(
        "/api/team/invitations", {"email": "a@example.com", "role": "viewer"}, raw_key
    )
    assert "an API key acts for no person" in error(response, 403, "AUTHORIZATION_ERROR")
    assert not Invitation.objects.exists()


def test_inviting_without_a_key_or_session_is_an_authentication_error(api):
    response = api.post("/api/team/invitations", {"email": "a@example.com", "role": "viewer"})
    error(response, 401, "AUTHENTICATION_ERROR")


def test_an_outsider_invites_into_their_own_organization_only(client, sign_in, org, outsider_org):
    sign_in(outsider_org, Role.OWNER)
    data(
        post_json(client, "/api/team/invitations", {"email": "a@example.com", "role": "viewer"}),
        201,
    )
    assert Invitation.objects.get().organization == outsider_org
    assert not org.invitations.exists()


def test_too_many_invitations_are_rate_limited(client, sign_in, org, settings):
    settings.INVITATIONS_PER_HOUR_PER_USER = 1
    sign_in(org, Role.OWNER)
    post_json(client, "/api/team/invitations", {"email": "a@example.com", "role": "viewer"})
    response = post_json(
        client, "/api/team/invitations", {"email": "b@example.com", "role": "viewer"}
    )
    error(response, 429, "RATE_LIMIT_EXCEEDED")
    assert 0 < int(response["Retry-After"]) <= 3600


def test_the_team_endpoints_are_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "get" in schema["paths"]["/api/organizations"]
    assert "get" in schema["paths"]["/api/team/members"]
    post = schema["paths"]["/api/team/invitations"]["post"]
    assert set(post["responses"]) == {"201", "400", "401", "403", "429"}
    body = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert set(schema["components"]["schemas"][body]["properties"]) == {"email", "role"}
