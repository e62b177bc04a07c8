from celery import shared_task
from django.db import DatabaseError

from .broker import task_publish
from .cache import cache_add, cache_delete
from .heartbeat import worker_heartbeat_record
from .services.invitations import invitation_email_send
from .services.organization_deletion import organization_delete, organizations_deletion_resume


# Only the mail server's errors are retried (OSError covers smtplib.SMTPException): a bug
# would fail the same way six times. Backoff 1 s, 2 s, 4 s ... capped at 10 minutes.
@shared_task(
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
    soft_time_limit=50,
    time_limit=60,
)
def invitation_email_task(invitation_id: int, link_version: str, base_url: str) -> bool:
    # No token in the broker: the task mints the link itself (see invitation_email_send),
    # and sends nothing once the invitation was resent, accepted, revoked or already mailed.
    return invitation_email_send(
        invitation_id=invitation_id, link_version=link_version, base_url=base_url
    )


# Expires (settings: the beat entry's options) rather than retries: a late heartbeat is
# not worth sending, the next one is already queued.
@shared_task(ignore_result=True, soft_time_limit=10, time_limit=15)
def worker_heartbeat_task() -> None:
    worker_heartbeat_record()


# One task deletes for at most this long, then queues the next: a large organization is
# deleted over several short tasks rather than one a worker restart would start over.
ORGANIZATION_DELETE_TASK_SECONDS = 240


@shared_task(
    acks_late=True,
    autoretry_for=(DatabaseError, OSError),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=ORGANIZATION_DELETE_TASK_SECONDS + 60,
    time_limit=ORGANIZATION_DELETE_TASK_SECONDS + 120,
)
def organization_delete_task(organization_id: int) -> bool:
    # One worker at a time per organization: the sweep may queue one while another runs.
    lock = f"organization-deleting:{organization_id}"
    if cache_add(lock, 1, ORGANIZATION_DELETE_TASK_SECONDS + 120) is False:
        return False
    try:
        done = organization_delete(
            organization_id=organization_id, time_budget_seconds=ORGANIZATION_DELETE_TASK_SECONDS
        )
    finally:
        cache_delete(lock)
    if not done:
        task_publish(organization_delete_task, organization_id)  # else the sweep goes on
    return done


@shared_task(acks_late=True, soft_time_limit=50, time_limit=60)
def organizations_deletion_resume_task() -> list[int]:
    return organizations_deletion_resume()
