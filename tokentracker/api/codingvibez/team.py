"""CodingVibez team endpoints: `GET /api/organizations`, `GET /api/team/members`,
`POST /api/team/invitations`.

The seed's clients called these with a user token, which is a signed-in session here. An
API key belongs to one organization: it reads that team without email addresses (keys
live in CI and on laptops, and leak; a member list with addresses is a phishing list),
and a write key invites on behalf of the person who created it, with that person's role
as it is now. The role rules are those of `tokentracker.services.teams`, the same the members
page enforces.

A session works in the organization last opened in the dashboard, or in the one named by
`organizationId` (the `id` of `GET /api/organizations`) in the query or the body; someone
in several organizations must name it to invite, so an invitation never lands in
whichever organization they happened to open last.
"""

from datetime import datetime
from functools import cached_property

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from tokentracker.api.base import CodingVibezView
from tokentracker.api.errors import ApiError, Kind
from tokentracker.api.parsers import JSONParser
from tokentracker.forms import InvitationForm
from tokentracker.models import Invitation, Membership, Role, role_at_least
from tokentracker.permissions import SAFE_METHODS
from tokentracker.selectors import (
    ActiveMembership,
    invitations_open,
    members_of_organization,
    membership_active_in,
    membership_count_of_user,
    membership_of,
    membership_of_key_creator,
    memberships_of_user,
    organizations_of_key,
)
from tokentracker.services.invitations import InvitationRateLimited, invitation_create
from tokentracker.services.teams import TeamError, TeamPermissionError

from .params import invalid
from .schemas import (
    CodingVibezInvitation,
    CodingVibezInvitationBody,
    CodingVibezMember,
    CodingVibezOrganization,
    CodingVibezOrganizations,
    CodingVibezTeam,
    enveloped,
    errors,
)
from .values import iso

TAGS = ["codingvibez"]


class OrganizationsView(CodingVibezView):
    @extend_schema(
        operation_id="codingvibez_organizations",
        summary="The organizations of the caller (CodingVibez)",
        description=(
            "Signed in: every organization the person belongs to, with their role; `current` "
            "is the one the session works in (the last one opened in the dashboard). With an "
            "API key: the key's organization."
        ),
        responses={200: enveloped(CodingVibezOrganizations), **errors(401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        if self.api_key is not None:
            rows = [(org, None) for org in organizations_of_key(self.organization_id)]
        else:
            rows = [(m.organization, m.role) for m in memberships_of_user(request.user)]
        organizations = CodingVibezOrganizations(
            organizations=[
                CodingVibezOrganization(
                    id=str(organization.uuid),
                    name=organization.name,
                    slug=organization.slug,
                    plan=organization.plan.name,
                    role=role,
                    current=organization.id == self.organization_id,
                    createdAt=iso(organization.created_at),
                )
                for organization, role in rows
            ]
        )
        return self.envelope(organizations.model_dump())


def _invitation(invitation: Invitation, now: datetime) -> CodingVibezInvitation:
    return CodingVibezInvitation(
        id=str(invitation.pk),
        email=invitation.email,
        role=invitation.role,
        status=invitation.status(now),
        invitedBy=invitation.invited_by.email if invitation.invited_by else None,
        createdAt=iso(invitation.created_at),
        expiresAt=iso(invitation.expires_at),
    )


class ExplicitOrganization:
    """A session's organization from `organizationId` when given (query or body), else
    the dashboard's active one; writes need it when the person is in several."""

    request: Request
    api_key: object

    @cached_property
    def membership(self) -> ActiveMembership | None:
        request = self.request
        user = request.user
        if self.api_key is not None or user is None or not user.is_authenticated:
            return None
        body = request.data if request.method not in SAFE_METHODS else None
        named = request.query_params.get("organizationId") or (
            body.get("organizationId") if isinstance(body, dict) else None
        )
        if named:
            membership = membership_active_in(user, str(named))
            if membership is None:
                raise invalid("organizationId", "not one of your organizations")
            return membership
        if request.method not in SAFE_METHODS and membership_count_of_user(user) > 1:
            raise invalid(
                "organizationId",
                "required: you belong to several organizations (GET /api/organizations)",
            )
        return super().membership  # type: ignore[misc]


class TeamMembersView(ExplicitOrganization, CodingVibezView):
    @extend_schema(
        operation_id="codingvibez_team_members",
        summary="Members of the organization and open invitations (CodingVibez)",
        description=(
            "Owners first. Open invitations are listed to admins and owners only. With an "
            "API key, `email` and `name` are null: a key sees roles, not who people are. "
            "Signed in, `organizationId` (query) picks one of the person's organizations."
        ),
        responses={200: enveloped(CodingVibezTeam), **errors(401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        now = timezone.now()
        membership = self.membership
        # An API key belongs to no person: it does not see who was invited, nor addresses.
        sees_invitations = membership is not None and role_at_least(membership.role, Role.ADMIN)
        sees_people = self.api_key is None
        team = CodingVibezTeam(
            organizationId=str(self._organization_uuid()),
            members=[
                CodingVibezMember(
                    id=str(member.pk),
                    email=member.user.email if sees_people else None,
                    name=member.user.get_full_name() if sees_people else None,
                    role=member.role,
                    joinedAt=iso(member.created_at),
                )
                for member in members_of_organization(self.organization_id)
            ],
            invitations=[_invitation(i, now) for i in invitations_open(self.organization_id)]
            if sees_invitations
            else [],
        )
        return self.envelope(team.model_dump())

    def _organization_uuid(self) -> str:
        return str(organizations_of_key(self.organization_id).values_list("uuid", flat=True)[0])


class TeamInvitationsView(ExplicitOrganization, CodingVibezView):
    parser_classes = [JSONParser]
    viewer_write_refusal = "Only admins and owners invite people."

    @extend_schema(
        operation_id="codingvibez_team_invite",
        summary="Invite someone by email (CodingVibez)",
        description=(
            "Emails a link that joins the organization with `role`; it works once and expires "
            "after 7 days. Inviting an address with an open invitation sends a fresh link. "
            "Admins and owners only; only an owner invites an owner. Signed in, in several "
            "organizations: name one with `organizationId`. With a write API key the "
            "invitation is sent for the key's creator, as long as they are still an admin or "
            "owner there. Rate-limited per organization and per person (429)."
        ),
        request=CodingVibezInvitationBody,
        examples=[
            OpenApiExample(
                "Invite a member",
                value={"email": "user@example.com", "role": "member"},
                request_only=True,
            )
        ],
        responses={201: enveloped(CodingVibezInvitation), **errors(400, 401, 403, 429)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        body = request.data if isinstance(request.data, dict) else {}
        # The members page's form: one definition of a valid address and role.
        form = InvitationForm(data={"email": body.get("email"), "role": body.get("role")})
        if not form.is_valid():
            field, messages = next(iter(form.errors.items()))
            raise invalid(field, " ".join(messages))
        inviter = self._inviter(request)
        try:
            sent = invitation_create(
                invited_by=inviter,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                base_url=request.build_absolute_uri("/"),
            )
        except InvitationRateLimited as error:
            limited = ApiError(
                Kind.RATE_LIMITED, str(error), details={"retry_after": error.retry_after}
            )
            limited.wait = error.retry_after  # the handler sends it as Retry-After
            raise limited from None
        except TeamPermissionError as error:
            raise ApiError(Kind.FORBIDDEN, str(error)) from None
        except TeamError as error:
            raise ApiError(Kind.VALIDATION, str(error), details={"field": "email"}) from None
        return self.envelope(_invitation(sent.invitation, timezone.now()).model_dump(), status=201)

    def _inviter(self, request: Request) -> Membership:
        if self.api_key is None:
            inviter = membership_of(request.user, self.organization_id)
            assert inviter is not None, "HasApiKeyOrMember resolved this membership"
            return inviter
        # Checked on every call: a key made by someone since removed or demoted invites
        # no one, whatever it could do the day it was created.
        inviter = membership_of_key_creator(self.api_key.id)
        if inviter is None:
            raise ApiError(
                Kind.FORBIDDEN,
                "This API key acts for no current member (it was created from the command "
                "line or its creator left): invitations need a key of an admin or owner.",
            )
        return inviter
