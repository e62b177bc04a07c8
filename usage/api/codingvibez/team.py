"""CodingVibez team endpoints: `GET /api/organizations`, `GET /api/team/members`,
`POST /api/team/invitations`.

The seed's clients called these with a user token, which is a signed-in session here; an
API key belongs to one organization and no person, so it reads that organization but
sends no invitations (an invitation is on behalf of the admin who sends it). The role
rules are `tokentracker.services_teams`' own, the same the members page enforces.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from tokentracker.api.surfaces import CodingVibezView
from tokentracker.errors import ApiError, Kind
from tokentracker.forms import EMAIL_MAX_LENGTH
from tokentracker.models import Role, role_at_least
from tokentracker.selectors import (
    invitations_open,
    members_of_organization,
    membership_of,
    memberships_of_user,
    organizations_of_key,
)
from tokentracker.services_teams import (
    InvitationRateLimited,
    TeamError,
    TeamPermissionError,
    invitation_create,
)

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


def _invitation(invitation, now) -> CodingVibezInvitation:
    return CodingVibezInvitation(
        id=str(invitation.pk),
        email=invitation.email,
        role=invitation.role,
        status="expired" if invitation.is_expired(now) else "pending",
        invitedBy=invitation.invited_by.email if invitation.invited_by else None,
        createdAt=iso(invitation.created_at),
        expiresAt=iso(invitation.expires_at),
    )


class TeamMembersView(CodingVibezView):
    @extend_schema(
        operation_id="codingvibez_team_members",
        summary="Members of the organization and open invitations (CodingVibez)",
        description="Owners first. Open invitations are listed to admins and owners only.",
        responses={200: enveloped(CodingVibezTeam), **errors(401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        now = timezone.now()
        membership = self.membership
        # An API key belongs to no person: it does not see who was invited.
        sees_invitations = membership is not None and role_at_least(membership.role, Role.ADMIN)
        team = CodingVibezTeam(
            organizationId=str(self._organization_uuid()),
            members=[
                CodingVibezMember(
                    id=str(member.pk),
                    email=member.user.email,
                    name=member.user.get_full_name(),
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


class TeamInvitationsView(CodingVibezView):
    parser_classes = [JSONParser]
    viewer_write_refusal = "Only admins and owners invite people."

    @extend_schema(
        operation_id="codingvibez_team_invite",
        summary="Invite someone by email (CodingVibez)",
        description=(
            "Emails a link that joins the organization with `role`; it works once and expires "
            "after 7 days. Inviting an address with an open invitation sends a fresh link. "
            "Admins and owners only, signed in (an API key acts for no person); only an owner "
            "invites an owner. Rate-limited per organization and per person (429)."
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
        if self.api_key is not None:
            raise ApiError(
                Kind.FORBIDDEN,
                "Invitations are sent by a signed-in admin or owner; "
                "an API key acts for no person.",
            )
        body = request.data if isinstance(request.data, dict) else {}
        email = body.get("email")
        if not isinstance(email, str) or not email.strip():
            raise invalid("email", "required, an email address")
        try:
            validate_email(email.strip())
        except ValidationError:
            raise invalid("email", f"{email!r} is not an email address") from None
        if len(email.strip()) > EMAIL_MAX_LENGTH:
            raise invalid("email", f"at most {EMAIL_MAX_LENGTH} characters")
        role = body.get("role")
        if role not in Role.values:
            raise invalid("role", f"one of {', '.join(Role.values)}")
        inviter = membership_of(request.user, self.organization_id)
        assert inviter is not None, "HasOrganizationOrMember resolved this membership"
        try:
            sent = invitation_create(
                invited_by=inviter,
                email=email,
                role=role,
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
