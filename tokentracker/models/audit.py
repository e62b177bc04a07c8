"""The audit log: who did what to an organization's access, settings and data, and when.

Written only by `tokentracker.services.audit.audit_record`, which the services call (never
the views), so a change made on a page, through an API or in Django admin is recorded
alike. Entries are append-only: nothing edits or deletes one, except deleting the whole
organization, which takes its log with everything else it owned.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    API_KEY_CREATED = "api_key.created", "API key created"
    API_KEY_REVOKED = "api_key.revoked", "API key revoked"
    MEMBER_INVITED = "member.invited", "Member invited"
    INVITATION_RESENT = "invitation.resent", "Invitation sent again"
    INVITATION_REVOKED = "invitation.revoked", "Invitation revoked"
    INVITATION_ACCEPTED = "invitation.accepted", "Invitation accepted"
    MEMBER_ROLE_CHANGED = "member.role_changed", "Member's role changed"
    MEMBER_REMOVED = "member.removed", "Member removed"
    SETTINGS_CHANGED = "organization.settings_changed", "Settings changed"
    RETENTION_CHANGED = "organization.retention_changed", "Event retention changed"
    INTEGRATION_CONNECTED = "integration.connected", "Integration connected"
    INTEGRATION_REMOVED = "integration.removed", "Integration removed"
    PLAN_CHANGED = "plan.changed", "Plan changed"
    DELETION_REQUESTED = "organization.deletion_requested", "Organization deletion requested"


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise TypeError("Audit entries are append-only.")


class AuditEntry(models.Model):
    """One security-relevant action. The actor is kept as it was (`actor_label`): the user
    may be deleted or renamed later, and a key acting for nobody still has its prefix."""

    organization = models.ForeignKey(
        "tokentracker.Organization", on_delete=models.CASCADE, related_name="audit_entries"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_key_lookup = models.CharField(
        max_length=32, blank=True, help_text="The API key the action came through, if any."
    )
    actor_label = models.CharField(
        max_length=254, help_text="Who acted, as they were then: an email, an API key, system."
    )
    target = models.CharField(max_length=255, blank=True, help_text="What the action was on.")
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "audit entries"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="audit_org_time"),
            models.Index(
                fields=["organization", "action", "-created_at", "-id"], name="audit_org_action"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor_label}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise TypeError("Audit entries are append-only.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit entries are append-only: they go only with their organization.")

    def detail_lines(self) -> list[str]:
        """`details` as lines to read: "before → after" for a change of one value,
        "name: before → after" for each field of a change of several, else "name: value"."""
        details = self.details or {}
        if set(details) == {"from", "to"}:
            return [f"{_shown(details['from'])} → {_shown(details['to'])}"]
        lines = []
        for name, value in details.items():
            if isinstance(value, dict) and set(value) == {"from", "to"}:
                lines.append(f"{name}: {_shown(value['from'])} → {_shown(value['to'])}")
            else:
                lines.append(f"{name}: {_shown(value)}")
        return lines


def _shown(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
