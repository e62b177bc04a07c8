"""Writes of organizations: the default plan, ensuring one exists, its settings, its
community opt-in, how long its raw events are kept, and its plan."""

import logging
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ..currencies import currency_code
from ..errors import DomainError
from ..models import (
    EVENT_RETENTION_MAX_DAYS,
    EVENT_RETENTION_MIN_DAYS,
    AuditAction,
    Membership,
    Organization,
    Plan,
    QualityScale,
    Role,
)
from ..money import reporting_currency_changed
from ..ratelimit import plan_limits_forget
from ..tag_keys import tag_keys_changed, tag_keys_problems
from .audit import audit_record

logger = logging.getLogger(__name__)


class OrganizationSettingInvalid(DomainError):
    """A setting's value breaks a rule; `field` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, details={field: [message]})
        self.field = field


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
    Raises OrganizationSettingInvalid, changing nothing, for a new currency once events
    were deleted by the retention setting (`reporting_currency_change_check`).
    """
    _check_may_change(organization, changed_by)
    if reporting_currency is not None:
        reporting_currency = currency_code(reporting_currency)
        if reporting_currency != organization.reporting_currency:
            reporting_currency_change_check(organization)
    before = {field: getattr(organization, field) for field in _AUDITED_SETTINGS}
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
        organization.reporting_currency = reporting_currency
        changed.append("reporting_currency")
    if changed:
        fields = (
            [*changed, "community_opted_in_at"] if "community_data_opt_in" in changed else changed
        )
        with transaction.atomic():
            organization.save(update_fields=fields)
            audit_record(
                organization=organization,
                action=AuditAction.SETTINGS_CHANGED,
                actor_user=changed_by.user,
                details={
                    field: {"from": before[field], "to": getattr(organization, field)}
                    for field in changed
                },
            )
            if "reporting_currency" in changed:
                reporting_currency_changed.send(
                    sender=Organization, organization_id=organization.pk
                )
    return changed


def organization_tag_keys_set(
    *, organization: Organization, changed_by: Membership, tag_keys: list[str]
) -> bool:
    """Set the metadata keys the explorer breaks usage down by; True if they changed.

    Admins and owners only. Raises OrganizationSettingInvalid (field `tag_keys`), changing
    nothing, for more than MAX_TAG_KEYS keys, a malformed key or one given twice. A change
    is audited and sends `tag_keys_changed`: the usage app rebuilds the organization's
    dimension rollups from its raw events in the background.
    """
    _check_may_change(organization, changed_by)
    problems = tag_keys_problems(tag_keys)
    if problems:
        raise OrganizationSettingInvalid("tag_keys", " ".join(problems))
    before = list(organization.tag_keys or [])
    if before == tag_keys:
        return False
    with transaction.atomic():
        organization.tag_keys = tag_keys
        organization.save(update_fields=["tag_keys"])
        audit_record(
            organization=organization,
            action=AuditAction.SETTINGS_CHANGED,
            actor_user=changed_by.user,
            details={"tag_keys": {"from": before, "to": tag_keys}},
        )
        tag_keys_changed.send(sender=Organization, organization_id=organization.pk)
    return True


_AUDITED_SETTINGS = (
    "payload_storage_enabled",
    "community_data_opt_in",
    "quality_scale",
    "reporting_currency",
)


def _check_may_change(organization: Organization, changed_by: Membership) -> None:
    if changed_by.organization_id != organization.pk or not changed_by.is_at_least(Role.ADMIN):
        raise PermissionDenied("Only admins and owners change the organization's settings.")


def reporting_currency_change_check(organization: Organization) -> None:
    """Raise OrganizationSettingInvalid if the reporting currency may no longer change.

    A change converts every event again and rebuilds the totals from them; once the
    retention setting deleted events, the totals of their hours have no events to be
    rebuilt from and would stay in the old currency, summed with the new one.
    """
    purged = organization.events_purged_before
    if purged is not None:
        raise OrganizationSettingInvalid(
            "reporting_currency",
            f"Events before {purged:%Y-%m-%d %H:%M} UTC were deleted by the retention "
            f"setting, so their totals cannot be converted: the reporting currency stays "
            f"{organization.reporting_currency}.",
        )


def organization_retention_set(
    *, organization: Organization, changed_by: Membership, event_retention_days: int | None
) -> bool:
    """Keep raw events `event_retention_days` days (None: forever); True if it changed.

    Admins and owners only. The nightly purge (`usage.services.retention`) applies it;
    a shorter period deletes more on its next run, a longer one cannot bring back what was
    deleted.
    """
    _check_may_change(organization, changed_by)
    days = event_retention_days
    if days is not None and not EVENT_RETENTION_MIN_DAYS <= days <= EVENT_RETENTION_MAX_DAYS:
        raise OrganizationSettingInvalid(
            "event_retention_days",
            f"Keep events {EVENT_RETENTION_MIN_DAYS} to {EVENT_RETENTION_MAX_DAYS} days, "
            "or leave it empty to keep them all.",
        )
    previous = organization.event_retention_days
    if previous == days:
        return False
    with transaction.atomic():
        organization.event_retention_days = days
        organization.save(update_fields=["event_retention_days"])
        audit_record(
            organization=organization,
            action=AuditAction.RETENTION_CHANGED,
            actor_user=changed_by.user,
            details={"from": previous, "to": days},
        )
    return True


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
    previous_plan = organization.plan
    organization.plan = plan
    organization.save(update_fields=["plan"])
    audit_record(
        organization=organization,
        action=AuditAction.PLAN_CHANGED,
        target=plan.name,
        details={"from": previous_plan.slug, "to": plan.slug, "reason": reason},
    )
    plan_limits_forget(organization.pk)
    transaction.on_commit(lambda: plan_limits_forget(organization.pk))
    logger.info(
        "organization %s moved from plan %s to plan %s: %s",
        organization.slug,
        previous_plan.slug,
        plan.slug,
        reason,
    )
    return True
