"""Invitations as an invitee gets them: the link exists only in the email (the email task
mints it), so tests read the token from there."""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.core import mail
from django.test import TestCase

from tokentracker.models import Invitation
from tokentracker.services.invitations import SentInvitation

LINK = re.compile(r"/invitations/([A-Za-z0-9_-]+)")


@dataclass
class Emailed:
    invitation: Invitation
    token: str  # from the link in the email


def emailed_token(address: str) -> str:
    """The token of the last invitation link emailed to `address`."""
    [*_, email] = [m for m in mail.outbox if m.to == [address]]
    [token] = LINK.findall(email.body)
    return token


def emailed(send: Callable[[], SentInvitation]) -> Emailed:
    """Run `send` (an invitation_create or _resend), then its email as a worker would on
    commit; the invitation and the token of the link that was emailed."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        sent = send()
    sent.invitation.refresh_from_db()
    return Emailed(invitation=sent.invitation, token=emailed_token(sent.invitation.email))
