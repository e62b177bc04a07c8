"""Writes of organizations: the default plan, ensuring one exists, its settings, its
community opt-in and its plan."""

import logging
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ..currencies import currency_code
from ..models import (
    Membership,
    Organization,
    Plan,
    QualityScale,
    Role,
)
from ..money import reporting_currency_changed
from ..ratelimit import plan_limits_forget

logger = logging.getLogger(__name__)


def plan_get_default() -> Plan:
    plan = Plan.objects.filter(is_default=True).first()
    if plan is None:
        plan, _ = Plan.objects.get_or_create(
            slug="self-hosted", defaults={"name": "Self-hosted", "is_default": True}
        )
    return plan


def organization_ensure(*, slug: str, name: str | None = None) -> tuple[Organization, bool]:
    """The organization with this slug, created on the default plan if it does not exist."""
    normalised = slugify(slug)
    if not normalised or normalised != slug:
        raise ValueError(f"{slug!r} is not a valid organization slug (try {normalised!r})")
    with transaction.atomic():
        return Organization.objects.get_or_create(
            slug=slug, defaults={"name": name or slug, "plan": plan_get_default()}
        )


def organization_settings_update(
    *,
    organization: Organization,
    changed_by: Membership,
    payload_storage_enabled: bool,
    community_data_opt_in: bool,
    quality_scale: str | None = None,
    reporting_currency: str | None = None,
) -> list[str]:
    """Switch payload storage and the community data opt-in, declare the scale of the
    quality scores and set the reporting currency (None: keep either); returns the fields
    changed.

    Admins and owners only: storing customer content, publishing usage (anonymized), or
    the currency every figure is in, is a decision for whoever answers for the organization.
    """
    if changed_by.organization_id != organization.pk or not changed_by.is_at_least(Role.ADMIN):
        raise PermissionDenied("Only admins and owners change the organization's settings.")
    changed = []
    if organization.payload_storage_enabled != payload_storage_enabled:
        organization.payload_storage_enabled = payload_storage_enabled
        changed.append("payload_storage_enabled")
    if organization_community_opt_in_set(organization=organization, opted_in=community_data_opt_in):
        changed.append("community_data_opt_in")
    if quality_scale is not None and organization.quality_scale != quality_scale:
        organization.quality_scale = QualityScale(quality_scale)
        changed.append("quality_scale")
    if reporting_currency is not None and reporting_currency != organization.reporting_currency:
        organization.reporting_currency = currency_code(reporting_currency)
        changed.append("reporting_currency")
    if changed:
        fields = (
            [*changed, "community_opted_in_at"] if "community_data_opt_in" in changed else changed
        )
        with transaction.atomic():
            organization.save(update_fields=fields)
            if "reporting_currency" in changed:
                reporting_currency_changed.send(
                    sender=Organization, organization_id=organization.pk
                )
    return changed


def organization_community_opt_in_set(
    *, organization: Organization, opted_in: bool, now: datetime | None = None
) -> bool:
    """Turn the community opt-in on or off on `organization` (unsaved); True if it changed.

    Turning it on records when (`community_opted_in_at`): the community dataset counts the
    organization only for days starting after that, so opting in never publishes usage
    from before consent. Turning it off clears it: no later day counts the organization,
    while days already published stay as they were (they were consented to). Every writer
    of the flag (settings page, Django admin) goes through here.
    """
    if opted_in and organization.community_opted_in_at is None:
        organization.community_opted_in_at = now or timezone.now()
    elif not opted_in:
        organization.community_opted_in_at = None
    changed = organization.community_data_opt_in != opted_in
    organization.community_data_opt_in = opted_in
    return changed


def organization_plan_change(*, organization: Organization, plan: Plan, reason: str) -> bool:
    """Put `organization` on `plan` (True), or leave it where it is already (False); `reason`
    says why, in a sentence, for the logs (a Stripe subscription activated, lapsed, ...).

    The one writer of a plan change made by the system, so its quotas take effect at once:
    the daily and monthly event quotas are read from the database on every ingest, and the
    request rate limits' cached plan limits are dropped here (and again at commit, in case a
    request cached the old plan in between).
    """
    if organization.plan_id == plan.pk:
        return False
    previous_plan_id = organization.plan_id
    organization.plan = plan
    organization.save(update_fields=["plan"])
    # Audit log: the integrator records AuditAction.PLAN_CHANGED here (audit_record, issue 17).
    plan_limits_forget(organization.pk)
    transaction.on_commit(lambda: plan_limits_forget(organization.pk))
    logger.info(
        "organization %s moved from plan %s to plan %s: %s",
        organization.slug,
        previous_plan_id,
        plan.pk,
        reason,
    )
    return True
