"""Invitation emails leave through a Celery task; a down mail server never fails the request."""

from unittest import mock

import pytest
from django.core import mail

from tests.factories import MembershipFactory
from tokentracker import tasks
from tokentracker.models import Role
from tokentracker.services_teams import (
    invitation_create,
    invitation_email_send,
    invitation_resend,
    invitation_revoke,
)

pytestmark = pytest.mark.django_db

BASE = "https://tt.example.com"
BROKEN = "tests.tokentracker.pages.test_members_page.BrokenSmtp"


@pytest.fixture
def owner(org):
    return MembershipFactory(organization=org, role=Role.OWNER)


def invite(owner):
    return invitation_create(
        invited_by=owner, email="new@example.com", role="member", base_url=BASE
    )


def test_without_a_broker_the_email_is_sent_in_process(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sent = invite(owner)
    assert sent.email_failed is False
    assert [m.to for m in mail.outbox] == [["new@example.com"]]


def test_without_a_broker_a_down_mail_server_is_reported_not_raised(
    owner, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = BROKEN
    with django_capture_on_commit_callbacks(execute=True):
        sent = invite(owner)
    assert sent.email_failed is True
    assert sent.invitation.pk is not None


def test_with_a_broker_the_email_is_queued_by_id(
    owner, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with (
        mock.patch.object(tasks.invitation_email_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        sent = invite(owner)
    delay.assert_called_once_with(invitation_id=sent.invitation.pk, token=sent.token, base_url=BASE)
    assert mail.outbox == []
    assert sent.email_failed is False


def test_with_the_broker_down_the_email_is_sent_in_process(
    owner, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with (
        mock.patch.object(
            tasks.invitation_email_task, "delay", side_effect=ConnectionError("no broker")
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        invite(owner)
    assert [m.to for m in mail.outbox] == [["new@example.com"]]


def test_the_task_retries_mail_server_errors_with_backoff_and_a_time_limit():
    task = tasks.invitation_email_task
    assert task.autoretry_for == (OSError,)
    assert (task.retry_backoff, task.retry_backoff_max, task.max_retries) == (True, 600, 6)
    assert (task.soft_time_limit, task.time_limit) == (50, 60)


def test_the_task_raises_a_mail_server_error_so_celery_retries_it(owner, settings):
    sent = invite(owner)
    settings.EMAIL_BACKEND = BROKEN
    with pytest.raises(ConnectionRefusedError):
        invitation_email_send(invitation_id=sent.invitation.pk, token=sent.token, base_url=BASE)


def test_a_late_task_does_not_mail_a_link_that_was_replaced_or_revoked(owner):
    sent = invite(owner)
    resent = invitation_resend(invitation=sent.invitation, resent_by=owner, base_url=BASE)
    assert tasks.invitation_email_task.run(sent.invitation.pk, sent.token, BASE) is False
    assert tasks.invitation_email_task.run(sent.invitation.pk, resent.token, BASE) is True
    invitation_revoke(invitation=sent.invitation, revoked_by=owner)
    assert tasks.invitation_email_task.run(sent.invitation.pk, resent.token, BASE) is False
    assert len(mail.outbox) == 1
    assert f"/invitations/{resent.token}" in mail.outbox[0].body
