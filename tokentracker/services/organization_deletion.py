"""Deleting an organization and everything that belongs to it.

Two steps. Asking (`organization_deletion_request`, owners only, the slug typed as
confirmation) is one short transaction: the organization is marked, its API keys are
revoked (they stop working on the next request), open invitations are revoked and every
membership goes, so nobody can use it from that moment. The data then goes in the
background (`organization_delete`, a Celery task, or in-process with no broker): millions
of events cannot be deleted inside a web request, nor in one transaction without holding
locks for minutes.

The data is found generically: every model of every app with a foreign key to
`Organization` that cascades (events, rollups, payloads through their events, budgets,
receipts, integrations, and whatever a later app adds) is deleted in batches of primary
keys, each batch in its own transaction and through Django's collector, so what hangs off
a row (payloads, alert deliveries, sync runs) goes with it and `post_delete` receivers run
(billing's deletes each receipt's file once the batch commits). Models are taken in an
order where a model that points at another goes first, so deleting API keys never has to
null millions of events' `api_key`. Last, the organization row itself, whose cascade
catches anything written meanwhile.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from graphlib import TopologicalSorter

from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone

from ..broker import task_publish, task_queued
from ..errors import DomainError, Kind
from ..models import ApiKey, AuditAction, Invitation, Membership, Organization, Role
from .audit import audit_record
from .keys import api_key_revoke

logger = logging.getLogger(__name__)

DELETION_BATCH_SIZE = 5000

# Sent with `organization_id` before an organization's data is deleted, outside any
# transaction. The hook for what lives outside our database: billing cancels the Stripe
# subscription and deletes the customer here. A receiver that raises stops the deletion,
# which is tried again (the task's retries, then the sweep), so nothing is deleted while
# the outside world still bills for it.
organization_deleting = Signal()


class OrganizationDeletionRefused(DomainError):
    """Not an owner, or the confirmation does not match."""


class OrganizationDeletionForbidden(OrganizationDeletionRefused):
    kind = Kind.FORBIDDEN


def organization_deletion_request(
    *, organization: Organization, requested_by: Membership, confirmation: str
) -> None:
    """Ask to delete `organization`: only an owner, who types its slug as `confirmation`."""
    if requested_by.organization_id != organization.pk or requested_by.role != Role.OWNER:
        raise OrganizationDeletionForbidden("Only an owner can delete the organization.")
    if confirmation.strip() != organization.slug:
        raise OrganizationDeletionRefused(
            f"Type the organization's slug, {organization.slug}, to confirm: nothing was deleted."
        )
    organization_deletion_start(organization=organization, actor_user=requested_by.user)


def organization_deletion_start(
    *, organization: Organization, actor_user: AbstractBaseUser | None
) -> bool:
    """Shut everyone out of `organization` now and delete its data in the background,
    without asking who may (owners through `organization_deletion_request`; Django admin's
    staff call this). False if its deletion was already asked for: it is then resumed,
    in case it stopped."""
    now = timezone.now()
    with transaction.atomic():
        locked = Organization.objects.select_for_update().filter(pk=organization.pk).first()
        if locked is None:
            return False
        if locked.deletion_requested_at is not None:
            transaction.on_commit(partial(organization_delete_soon, organization.pk))
            return False
        # Off the community dataset at once: a refresh tonight must not count a half-deleted
        # organization (days already published stay, as when opting out).
        Organization.objects.filter(pk=organization.pk).update(
            deletion_requested_at=now, community_data_opt_in=False, community_opted_in_at=None
        )
        audit_record(
            organization=organization,
            action=AuditAction.DELETION_REQUESTED,
            actor_user=actor_user,
            target=organization.slug,
        )
        for api_key in ApiKey.objects.filter(organization=organization, revoked_at=None):
            api_key_revoke(
                api_key=api_key, revoked_by=actor_user, reason="the organization is being deleted"
            )
        Invitation.objects.filter(
            organization=organization, accepted_at=None, revoked_at=None
        ).update(revoked_at=now)
        Membership.objects.filter(organization=organization).delete()
        transaction.on_commit(partial(organization_delete_soon, organization.pk))
    organization.deletion_requested_at = now
    # The log line outlives the audit log, which goes with the organization.
    logger.warning(
        "deletion of organization %s (%s) asked by %s",
        organization.pk,
        organization.slug,
        getattr(actor_user, "pk", None) or "system",
    )
    return True


def organization_delete_soon(organization_id: int) -> None:
    """After the request commits: queue the deletion, or do it here with no worker."""
    from ..tasks import organization_delete_task

    if task_queued(organization_delete_task, organization_id):
        return
    try:
        organization_delete(organization_id=organization_id)
    except Exception:
        # The organization is already shut and marked: the person who asked is told so,
        # and beat's resume (or asking again in Django admin) finishes the deletion.
        logger.exception("deletion of organization %s failed; it will be resumed", organization_id)


@dataclass(frozen=True)
class OwnedModel:
    """A model with rows of an organization, and the foreign key that says which."""

    model: type[models.Model]
    field: str


def owned_models() -> list[OwnedModel]:
    """Every model with a cascading foreign key to Organization, those pointing at another
    of them first (see the module's docstring)."""
    owned: dict[type[models.Model], list[str]] = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if (
                field.is_relation
                and field.related_model is Organization
                and field.remote_field.on_delete is models.CASCADE
            ):
                owned.setdefault(model, []).append(field.name)
    order: TopologicalSorter[type[models.Model]] = TopologicalSorter()
    for model in owned:
        order.add(model)
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if target in owned and target is not model:
                order.add(target, model)  # `model` points at `target`: delete it first
    return [OwnedModel(model, name) for model in order.static_order() for name in owned[model]]


def organization_delete(
    *,
    organization_id: int,
    batch_size: int = DELETION_BATCH_SIZE,
    time_budget_seconds: float | None = None,
) -> bool:
    """Delete an organization whose deletion was asked for, and all it owns; True when it
    is gone, False when `time_budget_seconds` ran out first (call again to go on).

    Idempotent and safe to run again after a crash: every batch commits on its own, and
    what is left is found again. Refuses an organization nobody asked to delete.
    """
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return True
    if organization.deletion_requested_at is None:
        raise ValueError(f"organization {organization_id} was not asked to be deleted")
    organization_deleting.send(sender=Organization, organization_id=organization_id)
    deadline = None if time_budget_seconds is None else time.monotonic() + time_budget_seconds
    for owned in owned_models():
        rows = owned.model._base_manager.filter(**{owned.field: organization_id})
        while True:
            if deadline is not None and time.monotonic() > deadline:
                return False
            batch = list(rows.values_list("pk", flat=True)[:batch_size])
            if not batch:
                break
            with transaction.atomic():
                owned.model._base_manager.filter(pk__in=batch).delete()
    with transaction.atomic():
        Organization.objects.filter(pk=organization_id).delete()
    logger.warning("organization %s (%s) deleted", organization_id, organization.slug)
    return True


def organizations_deletion_resume(*, now: datetime | None = None) -> list[int]:
    """Queue again the deletions asked for over `RESUME_AFTER` ago and not finished (beat's
    safety net, for a task lost with the broker or a worker killed mid-way); a deletion
    still running ignores the second task (`organization_delete_task`'s lock)."""
    from ..tasks import organization_delete_task

    asked_before = (now or timezone.now()) - RESUME_AFTER
    pending = list(
        Organization.objects.filter(deletion_requested_at__lt=asked_before).values_list(
            "pk", flat=True
        )
    )
    for organization_id in pending:
        task_publish(organization_delete_task, organization_id)
    return pending


RESUME_AFTER = timedelta(minutes=10)
