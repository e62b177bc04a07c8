"""CodingVibez team endpoints: organizations, members, invitations."""

import json

import pytest
from django.core import mail

from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Invitation, Role
from tokentracker.services import api_key_create
from tokentracker.services.invitations import invitation_create
from tokentracker.services.teams import membership_role_change

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


def test_an_api_key_sees_roles_but_not_who_the_members_are(api, raw_key, org):
    MembershipFactory(organization=org, role=Role.OWNER, user__email="boss@example.com")
    MembershipFactory(organization=org, role=Role.VIEWER, user__email="v@example.com")
    response = api.get("/api/team/members", raw_key)
    members = data(response)["members"]
    assert [(m["role"], m["email"], m["name"]) for m in members] == [
        ("owner", None, None),
        ("viewer", None, None),
    ]
    assert "boss@example.com" not in response.content.decode()


def test_a_signed_in_member_reads_a_named_organizations_team(client, sign_in, org):
    user = sign_in(org, Role.VIEWER)
    beta = OrganizationFactory(slug="beta")
    MembershipFactory(user=user, organization=beta, role=Role.VIEWER)
    MembershipFactory(organization=beta, role=Role.OWNER, user__email="b@example.com")
    body = data(client.get("/api/team/members", {"organizationId": str(beta.uuid)}))
    assert body["organizationId"] == str(beta.uuid)
    assert sorted(m["email"] for m in body["members"]) == ["b@example.com", user.email]


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
        ({"role": "member"}, "email: This field is required."),
        ({"email": "nope", "role": "member"}, "email: Enter a valid email address."),
        ({"email": "a@example.com"}, "role: This field is required."),
        (
            {"email": "a@example.com", "role": "god"},
            "role: Select a valid choice. god is not one of the available choices.",
        ),
        ([], "email: This field is required."),
        (
            {"email": "a" * 140 + "@example.com", "role": "member"},
            "email: Ensure this value has at most 150 characters (it has 152).",
        ),
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


def test_a_key_made_from_the_command_line_cannot_invite(api, raw_key):
    response = api.post(
        "/api/team/invitations", {"email": "a@example.com", "role": "viewer"}, raw_key
    )
    assert error(response, 403, "AUTHORIZATION_ERROR") == (
        "This API key acts for no current member (it was created from the command line or "
        "its creator left): invitations need a key of an admin or owner."
    )
    assert not Invitation.objects.exists()


def _key_of(membership, scope="write"):
    return api_key_create(
        organization=membership.organization,
        name="ci",
        scope=scope,
        created_by=membership.user,
    ).raw_key


def test_an_admins_write_key_invites_on_their_behalf(api, org, django_capture_on_commit_callbacks):
    admin = MembershipFactory(organization=org, role=Role.ADMIN, user__email="ad@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/team/invitations", {"email": "a@example.com", "role": "member"}, _key_of(admin)
        )
    body = data(response, 201)
    assert (body["email"], body["role"], body["invitedBy"]) == (
        "a@example.com",
        "member",
        "ad@example.com",
    )
    assert Invitation.objects.get().organization == org
    assert [m.to for m in mail.outbox] == [["a@example.com"]]


def test_a_key_invites_with_its_creators_role_of_today_not_of_when_it_was_made(api, org):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    admin = MembershipFactory(organization=org, role=Role.ADMIN)
    raw_key = _key_of(admin)
    membership_role_change(membership=admin, role=Role.MEMBER, changed_by=owner)
    response = api.post(
        "/api/team/invitations", {"email": "a@example.com", "role": "viewer"}, raw_key
    )
    assert error(response, 403, "AUTHORIZATION_ERROR") == "Only admins and owners invite people."
    assert not Invitation.objects.exists()


def test_a_key_of_someone_who_left_cannot_invite(api, org):
    from tokentracker.models import ApiKey

    admin = MembershipFactory(organization=org, role=Role.ADMIN)
    raw_key = _key_of(admin)
    # Left without the service (a raw delete), so their key was not revoked with them.
    admin.delete()
    assert ApiKey.objects.get().revoked_at is None
    response = api.post(
        "/api/team/invitations", {"email": "a@example.com", "role": "viewer"}, raw_key
    )
    assert "its creator left" in error(response, 403, "AUTHORIZATION_ERROR")


def test_an_admin_key_cannot_invite_an_owner(api, org):
    admin = MembershipFactory(organization=org, role=Role.ADMIN)
    response = api.post(
        "/api/team/invitations", {"email": "a@example.com", "role": "owner"}, _key_of(admin)
    )
    assert error(response, 403, "AUTHORIZATION_ERROR") == "Only an owner can invite an owner."


def test_a_read_only_key_cannot_invite_even_an_owners(api, org):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    response = api.post(
        "/api/team/invitations",
        {"email": "a@example.com", "role": "viewer"},
        _key_of(owner, scope="read"),
    )
    assert error(response, 403, "AUTHORIZATION_ERROR") == "This API key is read-only."
    assert not Invitation.objects.exists()


def test_someone_in_several_organizations_must_name_one_to_invite(client, sign_in, org):
    user = sign_in(org, Role.OWNER)
    beta = OrganizationFactory(slug="beta")
    MembershipFactory(user=user, organization=beta, role=Role.ADMIN)
    body = {"email": "a@example.com", "role": "viewer"}
    assert error(post_json(client, "/api/team/invitations", body), 400, "VALIDATION_ERROR") == (
        "organizationId: required: you belong to several organizations (GET /api/organizations)"
    )
    data(
        post_json(client, "/api/team/invitations", {**body, "organizationId": str(beta.uuid)}), 201
    )
    assert Invitation.objects.get().organization == beta
    data(
        post_json(client, f"/api/team/invitations?organizationId={org.uuid}", body),
        201,
    )
    assert Invitation.objects.get(organization=org).email == "a@example.com"


def test_naming_an_organization_one_is_not_in_is_refused(client, sign_in, org, outsider_org):
    sign_in(org, Role.OWNER)
    for named in (str(outsider_org.uuid), "not-a-uuid"):
        response = post_json(
            client,
            "/api/team/invitations",
            {"email": "a@example.com", "role": "viewer", "organizationId": named},
        )
        message = error(response, 400, "VALIDATION_ERROR")
        assert message == "organizationId: not one of your organizations"
    assert not Invitation.objects.exists()


def test_the_named_organizations_role_decides_not_the_one_opened_last(client, sign_in, org):
    user = sign_in(org, Role.OWNER)
    beta = OrganizationFactory(slug="beta")
    MembershipFactory(user=user, organization=beta, role=Role.VIEWER)
    response = post_json(
        client,
        "/api/team/invitations",
        {"email": "a@example.com", "role": "viewer", "organizationId": str(beta.uuid)},
    )
    assert error(response, 403, "AUTHORIZATION_ERROR") == "Only admins and owners invite people."


@pytest.mark.django_db(transaction=True)
def test_with_the_mail_server_down_an_invitation_is_still_created(client, sign_in, org, settings):
    settings.EMAIL_BACKEND = "tests.tokentracker.pages.test_members_page.BrokenSmtp"
    sign_in(org, Role.OWNER)
    response = post_json(
        client, "/api/team/invitations", {"email": "a@example.com", "role": "viewer"}
    )
    assert data(response, 201)["email"] == "a@example.com"
    assert Invitation.objects.get().email == "a@example.com"


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
    assert set(schema["components"]["schemas"][body]["properties"]) == {
        "email",
        "role",
        "organizationId",
    }
