from celery import shared_task

from .heartbeat import worker_heartbeat_record
from .services.invitations import invitation_email_send


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
