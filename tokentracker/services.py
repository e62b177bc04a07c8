from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from . import keys
from .cache import cache_delete
from .models import (
    ApiKey,
    ApiKeyScope,
    DailyEventCount,
    Membership,
    MonthlyLiveEventCount,
    Organization,
    Plan,
    Role,
)


class QuotaExceeded(Exception):
    def __init__(self, *, limit: int, used: int, requested: int) -> None:
        super().__init__(f"Daily event limit of {limit} reached")
        self.limit = limit
        self.used = used
        self.requested = requested


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    raw_key: str


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
) -> list[str]:
    """Switch payload storage and the community data opt-in; returns the fields changed.

    Admins and owners only: storing customer content, or publishing usage (anonymized),
    is a decision for whoever answers for the organization.
    """
    if changed_by.organization_id != organization.pk or not changed_by.is_at_least(Role.ADMIN):
        raise PermissionDenied("Only admins and owners change the organization's settings.")
    changed = []
    if organization.payload_storage_enabled != payload_storage_enabled:
        organization.payload_storage_enabled = payload_storage_enabled
        changed.append("payload_storage_enabled")
    if organization_community_opt_in_set(organization=organization, opted_in=community_data_opt_in):
        changed.append("community_data_opt_in")
    if changed:
        fields = (
            [*changed, "community_opted_in_at"] if "community_data_opt_in" in changed else changed
        )
        organization.save(update_fields=fields)
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


def api_key_create(
    *,
    organization: Organization,
    name: str,
    prefix: str = keys.DEFAULT_PREFIX,
    scope: str = ApiKeyScope.WRITE,
    created_by: AbstractBaseUser | None = None,
) -> CreatedApiKey:
    raw_key = keys.key_generate(prefix)
    parsed = keys.key_parse(raw_key)
    assert parsed is not None
    api_key = ApiKey.objects.create(
        organization=organization,
        name=name,
        prefix=prefix,
        lookup=parsed.lookup,
        digest=keys.key_digest(raw_key),
        mode=keys.key_mode(prefix),
        scope=scope,
        created_by=created_by,
    )
    return CreatedApiKey(api_key=api_key, raw_key=raw_key)


def api_key_cache_key(lookup: str) -> str:
    return f"apikey:{lookup}"


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    # Drop the cached lookup so the key stops working on the next request, not in a minute;
    # again at commit, in case another request re-cached the key before we committed.
    cache_key = api_key_cache_key(api_key.lookup)
    cache_delete(cache_key)
    transaction.on_commit(lambda: cache_delete(cache_key))
    return api_key


def api_key_touch(*, api_key_id: int) -> None:
    """Record use, at most once a minute per key: one conditional UPDATE, no read."""
    now = timezone.now()
    ApiKey.objects.filter(pk=api_key_id).exclude(
        last_used_at__gt=now - timezone.timedelta(minutes=1)
    ).update(last_used_at=now)


def quota_consume(*, organization_id: int, events: int, day: date | None = None) -> int:
    """Count `events` against today's quota; raise QuotaExceeded (and count nothing) if over.

    One statement that is atomic under concurrency: an upsert whose update only happens
    while the new total stays within the plan's limit. Runs inside the caller's transaction,
    so a rolled-back write also rolls back its count. Returns the new total for the day.
    """
    day = day or timezone.now().date()
    org = (
        Organization.objects.select_related("plan")
        .only("plan__daily_event_limit")
        .get(pk=organization_id)
    )
    limit = org.plan.daily_event_limit
    table = connection.ops.quote_name(DailyEventCount._meta.db_table)
    if events > limit:
        raise QuotaExceeded(limit=limit, used=_quota_used(organization_id, day), requested=events)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organization_id, day, events) VALUES (%s, %s, %s) "
            f"ON CONFLICT (organization_id, day) DO UPDATE "
            f"SET events = {table}.events + excluded.events "
            f"WHERE {table}.events + excluded.events <= %s "
            f"RETURNING events",
            [organization_id, day, events, limit],
        )
        row = cursor.fetchone()
    if row is None:
        raise QuotaExceeded(limit=limit, used=_quota_used(organization_id, day), requested=events)
    return int(row[0])


def _quota_used(organization_id: int, day: date) -> int:
    return (
        DailyEventCount.objects.filter(organization_id=organization_id, day=day)
        .values_list("events", flat=True)
        .first()
        or 0
    )


class FreeQuotaExhausted(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"free live-event quota of {limit} reached")
        self.limit = limit


@dataclass(frozen=True)
class LiveQuota:
    limit: int | None
    used: int

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)


def live_quota_consume(
    *, organization_id: int, events: int = 1, month: date | None = None
) -> LiveQuota:
    """Count a live-key event against the plan's free monthly quota, or raise
    FreeQuotaExhausted and count nothing. One conditional upsert: atomic under concurrency,
    and rolled back with the caller's transaction."""
    month = month or timezone.now().date().replace(day=1)
    limit = (
        Organization.objects.filter(pk=organization_id)
        .values_list("plan__free_live_events_per_month", flat=True)
        .get()
    )
    table = connection.ops.quote_name(MonthlyLiveEventCount._meta.db_table)
    guard = "" if limit is None else f"WHERE {table}.events + excluded.events <= {int(limit)} "
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (organization_id, month, events) VALUES (%s, %s, %s) "
            f"ON CONFLICT (organization_id, month) DO UPDATE "
            f"SET events = {table}.events + excluded.events {guard}"
            f"RETURNING events",
            [organization_id, month, events],
        )
        row = cursor.fetchone()
    if row is None or (limit is not None and int(row[0]) > limit):
        # The first event of a month is an INSERT, which the WHERE does not guard.
        raise FreeQuotaExhausted(limit or 0)
    return LiveQuota(limit=limit, used=int(row[0]))
