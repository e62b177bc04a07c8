"""Invitation emails leave through a Celery task; a down mail server never fails the request."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from tests.factories import MembershipFactory, UserFactory
from tests.tokentracker.invitation_links import emailed_token
from tokentracker import tasks
from tokentracker.models import Role
from tokentracker.selectors import invitation_by_token, invitation_problem
from tokentracker.services.invitations import (
    invitation_accept,
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
    delay.assert_called_once_with(
        invitation_id=sent.invitation.pk,
        link_version=sent.invitation.token_digest,
        base_url=BASE,
    )
    assert mail.outbox == []
    assert sent.email_failed is False


def test_the_broker_message_holds_no_token_and_the_link_the_task_mails_accepts(
    owner, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with (
        mock.patch.object(tasks.invitation_email_task, "apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        sent = invite(owner)
    [call] = apply_async.call_args_list
    message = call.kwargs.get("kwargs") or call.args[1]
    assert message == {
        "invitation_id": sent.invitation.pk,
        "link_version": sent.invitation.token_digest,
        "base_url": BASE,
    }
    # The digest queued is of a token nobody kept: no link accepts yet.
    assert invitation_problem(invitation_by_token(message["link_version"]), timezone.now())
    # The worker runs the message it got.
    assert tasks.invitation_email_task.run(**message) is True
    token = emailed_token("new@example.com")
    assert token not in json.dumps(message)
    membership = invitation_accept(token=token, user=UserFactory(email="new@example.com"))
    assert membership.role == Role.MEMBER


def test_a_task_run_twice_mails_once_and_the_first_link_keeps_working(owner):
    sent = invite(owner)
    version = sent.invitation.token_digest
    assert tasks.invitation_email_task.run(sent.invitation.pk, version, BASE) is True
    assert tasks.invitation_email_task.run(sent.invitation.pk, version, BASE) is False
    assert len(mail.outbox) == 1
    token = emailed_token("new@example.com")
    assert invitation_accept(token=token, user=UserFactory(email="new@example.com"))


def test_a_task_for_an_expired_invitation_mails_nothing(owner):
    sent = invite(owner)
    later = timezone.now() + timedelta(days=7, seconds=1)
    with mock.patch.object(timezone, "now", return_value=later):
        assert (
            tasks.invitation_email_task.run(sent.invitation.pk, sent.invitation.token_digest, BASE)
            is False
        )
    assert mail.outbox == []


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


def test_the_task_raises_a_mail_server_error_so_celery_retries_it_and_the_retry_mails(
    owner, settings
):
    sent = invite(owner)
    version = sent.invitation.token_digest
    settings.EMAIL_BACKEND = BROKEN
    with pytest.raises(ConnectionRefusedError):
        invitation_email_send(invitation_id=sent.invitation.pk, link_version=version, base_url=BASE)
    sent.invitation.refresh_from_db()
    assert sent.invitation.token_digest == version  # the claim rolled back with the email
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tasks.invitation_email_task.run(sent.invitation.pk, version, BASE) is True
    assert len(mail.outbox) == 1


def test_a_late_task_does_not_mail_an_invitation_that_was_resent_or_revoked(owner):
    sent = invite(owner)
    first_version = sent.invitation.token_digest
    resent = invitation_resend(invitation=sent.invitation, resent_by=owner, base_url=BASE)
    second_version = resent.invitation.token_digest
    assert tasks.invitation_email_task.run(sent.invitation.pk, first_version, BASE) is False
    invitation_revoke(invitation=sent.invitation, revoked_by=owner)
    assert tasks.invitation_email_task.run(sent.invitation.pk, second_version, BASE) is False
    assert mail.outbox == []
