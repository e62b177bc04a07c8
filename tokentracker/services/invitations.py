"""Writes of invitations: create, email (from a task that mints the link), resend, revoke,
accept."""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ..broker import task_queued
from ..models import AuditAction, Invitation, Membership, Role
from ..ratelimit import rate_limit_hit
from ..selectors import (
    invitation_by_token,
    invitation_digest,
    invitation_problem,
    member_by_address,
    user_by_address,
    user_has_address,
)
from .audit import audit_record
from .teams import TeamError, TeamPermissionError, user_create

logger = logging.getLogger(__name__)

INVITATION_LIFETIME = timedelta(days=7)


class InvitationInvalid(TeamError):
    """The link is unknown, used, revoked or expired."""


class InvitationRateLimited(TeamError):
    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class SentInvitation:
    invitation: Invitation
    # Set when the email could not be handed to the mail server in this request (no
    # worker configured, or the broker was down too): the invitation is saved, resend it.
    email_failed: bool = False


def _rate_limit(organization_id: int, user_id: int) -> None:
    for scope, subject, limit in (
        ("invite-org", str(organization_id), settings.INVITATIONS_PER_HOUR_PER_ORGANIZATION),
        ("invite-user", str(user_id), settings.INVITATIONS_PER_HOUR_PER_USER),
    ):
        usage = rate_limit_hit(scope=scope, subject=subject, limit=limit)
        if usage.exceeded:
            raise InvitationRateLimited(
                f"Too many invitations sent; try again in {usage.retry_after // 60 + 1} minutes.",
                retry_after=usage.retry_after,
            )


def invitation_email_send(*, invitation_id: int, link_version: str, base_url: str) -> bool:
    """Mint the invitation's link and email it; False (nothing sent) if the invitation was
    accepted, revoked, expired or resent meanwhile, or this send already happened.

    The link is made here, not in the request that queued the email, so the raw token never
    travels through the broker (only this id and `link_version`, the digest the invitation
    was given when the email was queued, of a token nobody kept). A conditional UPDATE from
    that digest to the new link's claims the send: a repeated or late task finds nothing to
    claim and mails nothing, so the link emailed first stays the one that works. The claim
    and the email share a transaction: if the mail server fails (OSError, SMTPException
    propagate for the caller to retry), the claim rolls back and the retry mints anew. The
    expiry is the one set when the invitation was sent, and accepting still uses it up.
    """
    token, digest = _new_token()
    with transaction.atomic():
        claimed = Invitation.objects.filter(
            pk=invitation_id,
            token_digest=link_version,
            accepted_at=None,
            revoked_at=None,
            expires_at__gt=timezone.now(),
        ).update(token_digest=digest)
        if not claimed:
            return False
        invitation = Invitation.objects.select_related("organization", "invited_by").get(
            pk=invitation_id
        )
        _send(invitation, token, base_url)
    return True


def _email_soon(sent: SentInvitation, base_url: str) -> None:
    """After commit: queue the email, or send it here when there is no worker.

    Never raises: the invitation is committed and the page says to resend if the mail
    server could not be reached (`sent.email_failed`).
    """
    from ..tasks import invitation_email_task

    arguments = {
        "invitation_id": sent.invitation.pk,
        "link_version": sent.invitation.token_digest,
        "base_url": base_url,
    }
    if task_queued(invitation_email_task, **arguments):
        return
    try:
        invitation_email_send(**arguments)
    except OSError:  # socket errors and smtplib.SMTPException (a subclass)
        logger.warning("could not email invitation %s", sent.invitation.pk, exc_info=True)
        sent.email_failed = True


def _send(invitation: Invitation, token: str, base_url: str) -> None:
    link = base_url.rstrip("/") + reverse("invitation-accept", kwargs={"token": token})
    inviter = invitation.invited_by
    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "inviter": (inviter.get_full_name() or inviter.email) if inviter else "An admin",
        "link": link,
    }
    send_mail(
        subject=f"Join {invitation.organization.name} on TokenTracker",
        message=render_to_string("tokentracker/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, invitation_digest(token)


def _unsent_link_version() -> str:
    # No link exists until the email task mints one (`invitation_email_send`): until then
    # the digest is of a token thrown away here, so no link works, the old one included.
    return _new_token()[1]


def invitation_create(
    *, invited_by: Membership, email: str, role: str, base_url: str
) -> SentInvitation:
    """Invite `email` to `invited_by`'s organization with `role`, and email them the link.

    Inviting an address that already has an open invitation refreshes it (new link, new
    role, new expiry) instead of sending a second one. `base_url` (scheme and host) makes
    the emailed link absolute.
    """
    email = email.strip().lower()
    role = Role(role)
    organization = invited_by.organization
    if not invited_by.can_manage_team:
        raise TeamPermissionError("Only admins and owners invite people.")
    if not invited_by.can_grant(role):
        raise TeamPermissionError("Only an owner can invite an owner.")
    if member_by_address(organization.id, email) is not None:
        raise TeamError(f"{email} is already a member of {organization.name}.")
    _rate_limit(organization.id, invited_by.user_id)
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(organization=organization, email=email, accepted_at=None, revoked_at=None)
            .first()
        ) or Invitation(organization=organization, email=email)
        refreshed = invitation.pk is not None
        invitation.role = role
        invitation.invited_by = invited_by.user
        invitation.token_digest = _unsent_link_version()
        invitation.sent_at = now
        invitation.expires_at = now + INVITATION_LIFETIME
        invitation.save()
        audit_record(
            organization=organization,
            action=AuditAction.MEMBER_INVITED,
            actor_user=invited_by.user,
            target=email,
            details={"role": role.value, "refreshed": refreshed},
        )
        sent = SentInvitation(invitation=invitation)
        transaction.on_commit(partial(_email_soon, sent, base_url))
    return sent


def _check_may_manage(actor: Membership, invitation: Invitation) -> None:
    if actor.organization_id != invitation.organization_id or not actor.can_manage_team:
        raise TeamPermissionError("Only admins and owners manage invitations.")
    if not actor.can_grant(invitation.role):
        raise TeamPermissionError("Only an owner can manage an invitation to be owner.")
    if not invitation.is_open:
        raise TeamError("That invitation was already accepted or revoked.")


def invitation_resend(
    *, invitation: Invitation, resent_by: Membership, base_url: str
) -> SentInvitation:
    """A new link and a new 7-day expiry; the old link stops working."""
    _check_may_manage(resent_by, invitation)
    _rate_limit(invitation.organization_id, resent_by.user_id)
    now = timezone.now()
    invitation.token_digest = _unsent_link_version()
    invitation.sent_at = now
    invitation.expires_at = now + INVITATION_LIFETIME
    invitation.invited_by = resent_by.user
    with transaction.atomic():
        invitation.save(update_fields=["token_digest", "sent_at", "expires_at", "invited_by"])
        audit_record(
            organization=invitation.organization_id,
            action=AuditAction.INVITATION_RESENT,
            actor_user=resent_by.user,
            target=invitation.email,
            details={"role": invitation.role},
        )
        sent = SentInvitation(invitation=invitation)
        transaction.on_commit(partial(_email_soon, sent, base_url))
    return sent


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, revoked_by: Membership) -> Invitation:
    _check_may_manage(revoked_by, invitation)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        organization=invitation.organization_id,
        action=AuditAction.INVITATION_REVOKED,
        actor_user=revoked_by.user,
        target=invitation.email,
        details={"role": invitation.role},
    )
    return invitation


def _open_invitation(token: str) -> Invitation:
    invitation = invitation_by_token(token)
    problem = invitation_problem(invitation, timezone.now())
    if problem:
        raise InvitationInvalid(problem)
    assert invitation is not None
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: AbstractBaseUser) -> Membership:
    """Join `user` to the invitation's organization with its role; the link is then used.

    The invitation is for an email address, so only the account with that address may
    accept it (a forwarded link cannot add someone else).
    """
    invitation = _open_invitation(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise InvitationInvalid("This invitation link is not valid any more.")
    if not user_has_address(user, invitation.email):
        raise TeamPermissionError(
            f"This invitation is for {invitation.email}; sign in with that address to accept it."
        )
    if not user.email:
        # An account made in Django admin signs in with the address as its username and
        # has no email: it gets the invited address, so later mail reaches them.
        user.email = invitation.email
        user.save(update_fields=["email"])
    # Already a member (joined another way meanwhile): keep their role, use up the link.
    membership, created = Membership.objects.get_or_create(
        user=user, organization_id=invitation.organization_id, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        organization=invitation.organization_id,
        action=AuditAction.INVITATION_ACCEPTED,
        actor_user=user,
        target=invitation.email,
        # Already a member: the role they had is kept, not the invitation's.
        details={"role": membership.role, "joined": created},
    )
    return membership


@transaction.atomic
def invitation_sign_up(
    *, token: str, password: str, name: str
) -> tuple[AbstractBaseUser, Membership]:
    """Create the invited person's account (email from the invitation) and accept."""
    invitation = _open_invitation(token)
    if user_by_address(invitation.email) is not None:
        raise TeamError(f"{invitation.email} already has an account: sign in to accept.")
    user = user_create(email=invitation.email, password=password, name=name)
    return user, invitation_accept(token=token, user=user)
