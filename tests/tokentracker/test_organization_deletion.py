"""Deleting an organization (tokentracker.services.organization_deletion): nothing of it
remains in any table of any app, another organization keeps every row, receipt files leave
the disk, and from the moment it is asked nobody can use it."""

import os
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models.signals import pre_delete
from django.utils import timezone

from tests.tokentracker.organization_data import (
    organization_populate,
    paths_to_organization,
    rollup_delta_add,
    rows_of,
)
from tokentracker.models import AuditAction, AuditEntry, Organization, Role
from tokentracker.services import organization_deletion
from tokentracker.services.organization_deletion import (
    OrganizationDeletionForbidden,
    OrganizationDeletionRefused,
    organization_delete,
    organization_deleting,
    organization_deletion_request,
    organizations_deletion_resume,
    owned_models,
)
from tokentracker.tasks import organization_delete_task
from usage.models import UsageEvent

pytestmark = pytest.mark.django_db

# What an organization holds today; a model added later is checked for leftovers all the
# same (paths_to_organization walks every app), it only needs rows here to be proved.
POPULATED = {
    "tokentracker.Membership",
    "tokentracker.Invitation",
    "tokentracker.ApiKey",
    "tokentracker.MonthlyLiveEventCount",
    "tokentracker.DailyEventCount",
    "tokentracker.AuditEntry",
    "usage.UsageEvent",
    "usage.IngestReceipt",
    "usage.HourlyRollup",
    "usage.DailyRollup",
    "usage.RollupDelta",
    "usage.SetAsideDelta",
    "usage.DimensionHourlyRollup",
    "usage.DimensionDailyRollup",
    "usage.DimensionRollupDelta",
    "usage.DimensionSetAsideDelta",
    "usage.DimensionValue",
    "usage.SessionSummary",
    "usage.SessionDelta",
    "usage.RequestPayload",
    "usage.Eval",
    "usage.PendingTrack",
    "billing.ManualCost",
    "billing.Budget",
    "billing.BudgetAlert",
    "billing.WebhookEndpoint",
    "billing.AlertDelivery",
    "billing.DeliveryAttempt",
    "billing.Expense",
    "billing.Receipt",
    "billing.ProviderIntegration",
    "billing.ProviderUsageBucket",
    "billing.ProviderCostBucket",
    "billing.SyncRun",
}


@pytest.fixture
def doomed(org):
    return org, organization_populate(org, tag="acme")


@pytest.fixture
def kept(outsider_org):
    return outsider_org, organization_populate(outsider_org, tag="outsider")


def test_nothing_of_the_organization_remains_and_the_other_keeps_every_row(
    doomed, kept, django_capture_on_commit_callbacks, client
):
    (organization, data), (other, other_data) = doomed, kept
    rollup_delta_add(organization)
    rollup_delta_add(other)
    before = rows_of(organization.id)
    other_before = rows_of(other.id)
    assert {label for label, count in before.items() if count} >= POPULATED
    assert {label for label, count in other_before.items() if count} >= POPULATED
    assert os.path.exists(data["receipt_file"])

    left_for_the_last_step = []

    def count_what_is_left(*, instance, **kwargs):
        left_for_the_last_step.append(rows_of(instance.pk))

    pre_delete.connect(count_what_is_left, sender=Organization)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            organization_deletion_request(
                organization=organization, requested_by=data["owner"], confirmation="acme"
            )
    finally:
        pre_delete.disconnect(count_what_is_left, sender=Organization)

    # The batches took everything: deleting the organization's own row had nothing left
    # to cascade to (a cascade over millions of rows would be one long transaction).
    assert [{k: v for k, v in left.items() if v} for left in left_for_the_last_step] == [
        {"tokentracker.Organization": 1}
    ]
    assert not Organization.objects.filter(pk=organization.id).exists()
    assert {label: count for label, count in rows_of(organization.id).items() if count} == {}
    assert rows_of(other.id) == other_before
    assert not os.path.exists(data["receipt_file"])
    assert os.path.exists(other_data["receipt_file"])
    # People keep their accounts (and their other organizations).
    assert get_user_model().objects.filter(pk=data["owner"].user_id).exists()


def test_the_walk_finds_models_that_point_at_the_organization_only_through_others():
    labels = {model._meta.label: path for model, path in paths_to_organization().items()}
    assert labels["usage.RequestPayload"] == "event__organization"
    assert labels["billing.SyncRun"] == "integration__organization"
    assert labels["billing.DeliveryAttempt"] == "delivery__organization"
    assert "usage.ModelPrice" not in labels


def test_models_pointing_at_others_are_deleted_first():
    order = [owned.model._meta.label for owned in owned_models()]
    # Events and budgets point at API keys; deliveries at alerts and endpoints.
    assert order.index("usage.UsageEvent") < order.index("tokentracker.ApiKey")
    assert order.index("billing.Budget") < order.index("tokentracker.ApiKey")
    assert order.index("billing.AlertDelivery") < order.index("billing.BudgetAlert")
    assert order.index("billing.AlertDelivery") < order.index("billing.WebhookEndpoint")
    assert order.index("usage.Eval") < order.index("usage.UsageEvent")


def test_from_the_request_on_nobody_can_use_it_while_the_data_waits(doomed, client, api):
    organization, data = doomed
    member = organization.memberships.exclude(role=Role.OWNER).get()
    assert api.get("/api/v1/events", key=data["raw_key"]).status_code == 200

    # Not committed in this test: the background deletion has not run.
    organization_deletion_request(
        organization=organization, requested_by=data["owner"], confirmation=" acme "
    )

    organization.refresh_from_db()
    assert organization.deletion_requested_at is not None
    assert organization.community_data_opt_in is False
    assert api.get("/api/v1/events", key=data["raw_key"]).status_code == 401
    assert not organization.memberships.exists()
    assert not organization.invitations.filter(revoked_at=None, accepted_at=None).exists()
    client.force_login(member.user)
    assert client.get("/o/acme/").status_code == 404
    # Even a membership given back meanwhile (Django admin) opens nothing.
    from tests.factories import MembershipFactory

    again = MembershipFactory(organization=organization, role=Role.OWNER)
    client.force_login(again.user)
    assert client.get("/o/acme/settings/").status_code == 404
    assert UsageEvent.objects.filter(organization=organization).count() == 2
    entry = AuditEntry.objects.get(organization=organization, action=AuditAction.DELETION_REQUESTED)
    assert (entry.actor_user, entry.target) == (data["owner"].user, "acme")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MEMBER, Role.VIEWER])
def test_only_an_owner_may_ask(org, role):
    from tests.factories import MembershipFactory

    membership = MembershipFactory(organization=org, role=role)
    with pytest.raises(OrganizationDeletionForbidden):
        organization_deletion_request(
            organization=org, requested_by=membership, confirmation="acme"
        )
    assert Organization.objects.get(pk=org.pk).deletion_requested_at is None


def test_an_owner_of_another_organization_may_not_ask(org, outsider_org):
    from tests.factories import MembershipFactory

    outsider = MembershipFactory(organization=outsider_org, role=Role.OWNER)
    with pytest.raises(OrganizationDeletionForbidden):
        organization_deletion_request(organization=org, requested_by=outsider, confirmation="acme")
    assert Organization.objects.get(pk=org.pk).deletion_requested_at is None


@pytest.mark.parametrize("typed", ["", "ACME", "acme-inc", "outsider"])
def test_the_confirmation_must_be_the_slug(doomed, typed):
    organization, data = doomed
    with pytest.raises(OrganizationDeletionRefused, match="Type the organization's slug, acme"):
        organization_deletion_request(
            organization=organization, requested_by=data["owner"], confirmation=typed
        )
    organization.refresh_from_db()
    assert organization.deletion_requested_at is None
    assert organization.memberships.count() == 2
    assert not AuditEntry.objects.filter(action=AuditAction.DELETION_REQUESTED).exists()


def test_a_deletion_cut_short_goes_on_where_it_stopped(doomed, kept):
    (organization, data), (other, _) = doomed, kept
    other_before = rows_of(other.id)
    organization_deletion_request(
        organization=organization, requested_by=data["owner"], confirmation="acme"
    )

    assert organization_delete(organization_id=organization.id, time_budget_seconds=0) is False
    assert Organization.objects.filter(pk=organization.id).exists()
    # Batches of one row: every batch is its own transaction.
    assert organization_delete(organization_id=organization.id, batch_size=1) is True

    assert {label: count for label, count in rows_of(organization.id).items() if count} == {}
    assert rows_of(other.id) == other_before
    assert organization_delete(organization_id=organization.id) is True  # already gone


def test_an_organization_nobody_asked_to_delete_is_refused(doomed):
    organization, _ = doomed
    with pytest.raises(ValueError, match="was not asked to be deleted"):
        organization_delete(organization_id=organization.id)
    assert UsageEvent.objects.filter(organization=organization).count() == 2


def test_the_hook_runs_first_and_a_failing_one_stops_the_deletion(doomed):
    organization, data = doomed
    organization_deletion_request(
        organization=organization, requested_by=data["owner"], confirmation="acme"
    )
    seen = []

    def stripe_refuses(*, organization_id, **kwargs):
        seen.append(
            (organization_id, UsageEvent.objects.filter(organization_id=organization_id).count())
        )
        raise ConnectionError("Stripe is down")

    organization_deleting.connect(stripe_refuses)
    try:
        with pytest.raises(ConnectionError):
            organization_delete(organization_id=organization.id)
    finally:
        organization_deleting.disconnect(stripe_refuses)
    assert seen == [(organization.id, 2)]
    assert UsageEvent.objects.filter(organization=organization).count() == 2
    assert organization_delete(organization_id=organization.id) is True


def test_the_task_deletes_and_skips_a_deletion_already_running(doomed):
    organization, data = doomed
    organization_deletion_request(
        organization=organization, requested_by=data["owner"], confirmation="acme"
    )
    cache.set(f"organization-deleting:{organization.id}", 1, 60)
    assert organization_delete_task.apply(args=[organization.id]).get() is False
    assert Organization.objects.filter(pk=organization.id).exists()
    cache.delete(f"organization-deleting:{organization.id}")

    assert organization_delete_task.apply(args=[organization.id]).get() is True
    assert not Organization.objects.filter(pk=organization.id).exists()


def test_the_sweep_resumes_deletions_left_behind(doomed, kept):
    (organization, data), (other, _) = doomed, kept
    organization_deletion_request(
        organization=organization, requested_by=data["owner"], confirmation="acme"
    )
    asked = Organization.objects.get(pk=organization.id).deletion_requested_at
    # Just asked: its own task is on it.
    assert organizations_deletion_resume(now=asked + timedelta(minutes=1)) == []
    assert Organization.objects.filter(pk=organization.id).exists()

    assert organizations_deletion_resume(now=asked + timedelta(minutes=11)) == [organization.id]

    assert not Organization.objects.filter(pk=organization.id).exists()
    assert Organization.objects.filter(pk=other.id).exists()


def test_asking_twice_does_nothing_more(doomed):
    organization, data = doomed
    assert organization_deletion.organization_deletion_start(
        organization=organization, actor_user=data["owner"].user
    )
    assert not organization_deletion.organization_deletion_start(
        organization=organization, actor_user=data["owner"].user
    )
    assert AuditEntry.objects.filter(action=AuditAction.DELETION_REQUESTED).count() == 1
    assert Organization.objects.get(pk=organization.id).deletion_requested_at <= timezone.now()


def test_a_key_of_an_organization_being_deleted_works_in_no_case(org, raw_key, api):
    # Revoked with the request; refused even if a revocation were ever missed.
    assert api.get("/api/v1/events", key=raw_key).status_code == 200
    cache.clear()
    Organization.objects.filter(pk=org.pk).update(deletion_requested_at=timezone.now())
    assert api.get("/api/v1/events", key=raw_key).status_code == 401
