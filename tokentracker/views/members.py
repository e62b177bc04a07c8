"""Members page: who is in the organization, their roles, and open invitations."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tokentracker.forms import InvitationForm, RoleForm
from tokentracker.models import Invitation, Membership, Role
from tokentracker.pages import organization_page
from tokentracker.selectors import (
    invitation_of_organization,
    invitations_open,
    member_of_organization,
    members_of_organization,
)
from tokentracker.services.invitations import (
    InvitationRateLimited,
    SentInvitation,
    invitation_create,
    invitation_resend,
    invitation_revoke,
)
from tokentracker.services.teams import (
    TeamError,
    TeamPermissionError,
    membership_remove,
    membership_role_change,
)


def _members_page(
    request: HttpRequest,
    membership: Membership,
    invitation_form: InvitationForm,
    status: int,
    retry_after: int | None = None,
) -> HttpResponse:
    can_manage = membership.can_manage_team
    # What this member may do to each row; the template only shows it.
    members = [
        (member, can_manage and membership.can_grant(member.role))
        for member in members_of_organization(membership.organization_id)
    ]
    now = timezone.now()
    invitations = (
        [
            (invitation, invitation.status(now), membership.can_grant(invitation.role))
            for invitation in invitations_open(membership.organization_id)
        ]
        if can_manage
        else []
    )
    context = {
        "members": members,
        "invitations": invitations,
        "invitation_form": invitation_form,
        "grantable_roles": [
            (value, label) for value, label in Role.choices if membership.can_grant(value)
        ],
        "can_manage": can_manage,
    }
    response = render(request, "tokentracker/members.html", context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@organization_page()
def members(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Every member sees who is in the team; admins and owners also manage it here."""
    form = InvitationForm(initial={"role": Role.MEMBER})
    return _members_page(request, membership, form, status=200)


def _target(membership: Membership, membership_id: int) -> Membership:
    target = member_of_organization(membership.organization_id, membership_id)
    if target is None:
        raise Http404("No such member.")
    return target


def _refused(error: TeamError) -> str:
    """The message to show for a broken team rule.

    A rule the role does not allow is a 403 for a crafted request; the page only offers
    what the role may do, so a person normally meets only the other rules.
    """
    if isinstance(error, TeamPermissionError):
        raise PermissionDenied(str(error)) from error
    return str(error)


def _confirmed(request: HttpRequest, what: str) -> bool:
    # The page asks "are you sure?" in a <details> whose submit sends confirm=yes, so a
    # single stray click (or a stale form) cannot remove anyone; no JavaScript needed.
    if request.POST.get("confirm") == "yes":
        return True
    messages.error(request, f"Confirm to {what}: nothing was changed.")
    return False


def _sent_message(request: HttpRequest, sent: SentInvitation, done: str) -> None:
    if sent.email_failed:
        messages.warning(
            request,
            f"The invitation to {sent.invitation.email} is saved, but the email could not "
            "be sent: the mail server did not answer. Use Resend to try again.",
        )
    else:
        messages.success(request, done)


@require_POST
@organization_page(role=Role.ADMIN)
def member_role_change(
    request: HttpRequest, membership: Membership, membership_id: int
) -> HttpResponse:
    target = _target(membership, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
        return redirect("members", org_slug=membership.organization.slug)
    try:
        membership_role_change(
            membership=target, role=form.cleaned_data["role"], changed_by=membership
        )
    except TeamError as error:
        messages.error(request, _refused(error))
    else:
        messages.success(
            request, f"{target.user.email} is now {target.get_role_display().lower()}."
        )
    return redirect("members", org_slug=membership.organization.slug)


@require_POST
@organization_page(role=Role.ADMIN)
def member_remove(request: HttpRequest, membership: Membership, membership_id: int) -> HttpResponse:
    target = _target(membership, membership_id)
    if not _confirmed(request, f"remove {target.user.email}"):
        return redirect("members", org_slug=membership.organization.slug)
    try:
        membership_remove(membership=target, removed_by=membership)
    except TeamError as error:
        messages.error(request, _refused(error))
    else:
        messages.success(
            request, f"{target.user.email} was removed from {membership.organization.name}."
        )
        if target.pk == membership.pk:
            return redirect("home")
    return redirect("members", org_slug=membership.organization.slug)


@require_POST
@organization_page(role=Role.ADMIN)
def invitation_send(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            sent = invitation_create(
                invited_by=membership,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                base_url=request.build_absolute_uri("/"),
            )
        except InvitationRateLimited as error:
            form.add_error(None, str(error))
            return _members_page(
                request, membership, form, status=429, retry_after=error.retry_after
            )
        except TeamError as error:
            form.add_error(None, _refused(error))
        else:
            _sent_message(request, sent, f"Invitation sent to {sent.invitation.email}.")
            return redirect("members", org_slug=membership.organization.slug)
    return _members_page(request, membership, form, status=400)


def _invitation(membership: Membership, invitation_id: int) -> Invitation:
    invitation = invitation_of_organization(membership.organization_id, invitation_id)
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


@require_POST
@organization_page(role=Role.ADMIN)
def invitation_resend_page(
    request: HttpRequest, membership: Membership, invitation_id: int
) -> HttpResponse:
    invitation = _invitation(membership, invitation_id)
    try:
        sent = invitation_resend(
            invitation=invitation, resent_by=membership, base_url=request.build_absolute_uri("/")
        )
    except TeamError as error:
        messages.error(request, _refused(error))
    else:
        _sent_message(
            request,
            sent,
            f"A new link was sent to {invitation.email}; the old one stopped working.",
        )
    return redirect("members", org_slug=membership.organization.slug)


@require_POST
@organization_page(role=Role.ADMIN)
def invitation_revoke_page(
    request: HttpRequest, membership: Membership, invitation_id: int
) -> HttpResponse:
    invitation = _invitation(membership, invitation_id)
    if not _confirmed(request, f"withdraw the invitation to {invitation.email}"):
        return redirect("members", org_slug=membership.organization.slug)
    try:
        invitation_revoke(invitation=invitation, revoked_by=membership)
    except TeamError as error:
        messages.error(request, _refused(error))
    else:
        messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
    return redirect("members", org_slug=membership.organization.slug)
