from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils import timezone

from . import services
from .currencies import CURRENCY_CODE_MESSAGE, currency_code
from .models import (
    ApiKey,
    ApiKeyScope,
    AuditAction,
    AuditEntry,
    DailyEventCount,
    ExchangeRate,
    Invitation,
    Membership,
    Organization,
    Plan,
    RateSource,
    Role,
)
from .money import reporting_currency_changed
from .services.audit import audit_record
from .services.organization_deletion import organization_deletion_start
from .services.organizations import OrganizationSettingInvalid, reporting_currency_change_check
from .services.teams import (
    NEEDS_AN_OWNER,
    TeamError,
    api_keys_revoke_of,
    membership_role_check,
    membership_role_set,
    memberships_delete,
    organization_owner_check,
)
from .tag_keys import tag_keys_changed


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "daily_event_limit",
        "hourly_request_limit",
        "reads_per_minute",
        "writes_per_minute",
        "syncs_per_minute",
        "uploads_per_minute",
        "is_default",
    ]
    prepopulated_fields = {"slug": ["name"]}


class MembershipFormSet(BaseInlineFormSet):
    """Holds admin to the services' rule: an organization that has an owner keeps one."""

    def clean(self) -> None:
        super().clean()
        had_owner = any(form.initial.get("role") == Role.OWNER for form in self.initial_forms)
        if not had_owner:
            return  # a new organization, or one an admin is only now giving an owner
        roles = [
            form.cleaned_data.get("role")
            for form in self.forms
            if form.cleaned_data and not self._should_delete_form(form)
        ]
        try:
            organization_owner_check(roles=[r for r in roles if r], message=NEEDS_AN_OWNER)
        except TeamError as error:
            raise ValidationError(str(error)) from error


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    extra = 0
    autocomplete_fields = ["user"]


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    fields = ["email", "role", "invited_by", "sent_at", "expires_at", "accepted_at", "revoked_at"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "Invitations"

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Invitations are sent from the members page or the API, which email the link.
        return False


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ["name", "lookup", "mode", "scope", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Keys are created by `create_api_key` or the dashboard, which show the raw key once.
        return False


def _currency_cleaned(value: str) -> str:
    """A code typed in any case ("eur") is stored upper-case; anything else is refused."""
    try:
        return currency_code(value)
    except ValueError:
        raise ValidationError(CURRENCY_CODE_MESSAGE) from None


class OrganizationForm(ModelForm):
    def clean_reporting_currency(self) -> str:
        code = _currency_cleaned(self.cleaned_data["reporting_currency"])
        if self.instance.pk is not None and code != self.instance.reporting_currency:
            try:
                reporting_currency_change_check(self.instance)
            except OrganizationSettingInvalid as error:
                raise ValidationError(error.message) from None
        return code


# Fields of the organization whose change Django admin records in the audit log, as the
# settings page's services do.
_AUDITED_FIELDS = {
    "payload_storage_enabled": AuditAction.SETTINGS_CHANGED,
    "community_data_opt_in": AuditAction.SETTINGS_CHANGED,
    "quality_scale": AuditAction.SETTINGS_CHANGED,
    "reporting_currency": AuditAction.SETTINGS_CHANGED,
    "event_retention_days": AuditAction.RETENTION_CHANGED,
    "plan": AuditAction.PLAN_CHANGED,
}


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = OrganizationForm
    list_display = [
        "name",
        "slug",
        "plan",
        "reporting_currency",
        "members",
        "payload_storage_enabled",
        "community_data_opt_in",
        "created_at",
    ]
    list_filter = ["plan", "payload_storage_enabled", "community_data_opt_in", "created_at"]
    search_fields = ["name", "slug", "uuid"]
    list_select_related = ["plan"]
    readonly_fields = [
        "uuid",
        "community_opted_in_at",
        "created_at",
        "events_purged_before",
        "deletion_requested_at",
    ]
    inlines = [MembershipInline, InvitationInline, ApiKeyInline]

    def save_model(
        self, request: HttpRequest, obj: Organization, form: ModelForm, change: bool
    ) -> None:
        # The opt-in's consent time is kept by the service, whichever way the box moved.
        services.organization_community_opt_in_set(
            organization=obj, opted_in=form.cleaned_data["community_data_opt_in"]
        )
        super().save_model(request, obj, form, change)
        if change and "reporting_currency" in form.changed_data:
            # As the settings page does: the recorded events are converted again.
            reporting_currency_changed.send(sender=Organization, organization_id=obj.pk)
        if change and "tag_keys" in form.changed_data:
            # As the settings page does: the dimension rollups are recounted.
            tag_keys_changed.send(sender=Organization, organization_id=obj.pk)
        if change:
            self._audit(request, obj, form)

    def _audit(self, request: HttpRequest, obj: Organization, form: ModelForm) -> None:
        changes: dict[AuditAction, dict] = {}
        for name in form.changed_data:
            action = _AUDITED_FIELDS.get(name)
            if action is None:
                continue
            before, after = form.initial.get(name), form.cleaned_data[name]
            if name == "plan":
                before = Plan.objects.filter(pk=before).values_list("slug", flat=True).first()
                after = after.slug
            changes.setdefault(action, {})[name] = {"from": before, "to": after}
        for action, details in changes.items():
            if action != AuditAction.SETTINGS_CHANGED:
                # One field each: the same details as the services record.
                details = next(iter(details.values()))
            audit_record(organization=obj, action=action, actor_user=request.user, details=details)

    def delete_model(self, request: HttpRequest, obj: Organization) -> None:
        # As an owner's request does: everyone is shut out now, the data goes in the
        # background (millions of rows cannot go inside this request).
        organization_deletion_start(organization=obj, actor_user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        for organization in queryset:
            organization_deletion_start(organization=organization, actor_user=request.user)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        # Django lists every related row to confirm; an organization's are millions.
        described = [
            f"{organization}: its events, keys, members and all else it owns, deleted in "
            "the background"
            for organization in objs
        ]
        return described, {}, set(), []

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is not Membership:
            return
        # As the members page does: whoever leaves loses the keys they made here, and a
        # viewer keeps no write key.
        for membership in formset.deleted_objects:
            api_keys_revoke_of(
                user_id=membership.user_id,
                organization_id=membership.organization_id,
                revoked_by=request.user,
                reason="its creator left the organization",
            )
            audit_record(
                organization=membership.organization_id,
                action=AuditAction.MEMBER_REMOVED,
                actor_user=request.user,
                target=membership.user.email or membership.user.get_username(),
                details={"role": membership.role},
            )
        for membership, changed in formset.changed_objects:
            if "role" not in changed:
                continue
            if membership.role == Role.VIEWER:
                api_keys_revoke_of(
                    user_id=membership.user_id,
                    organization_id=membership.organization_id,
                    scope=ApiKeyScope.WRITE,
                    revoked_by=request.user,
                    reason="its creator became a viewer",
                )
            audit_record(
                organization=membership.organization_id,
                action=AuditAction.MEMBER_ROLE_CHANGED,
                actor_user=request.user,
                target=membership.user.email or membership.user.get_username(),
                details={"to": membership.role},
            )

    @admin.display(description="Members", ordering="member_count")
    def members(self, organization: Organization) -> int:
        return organization.member_count  # type: ignore[attr-defined]


class MembershipForm(ModelForm):
    """Refuses, as a form error, the demotion of an organization's last owner."""

    def clean(self) -> dict:
        cleaned_data = super().clean()
        role = cleaned_data.get("role")
        if self.instance.pk is not None and role:
            # `self.instance` still holds the stored role here (the form's values are
            # copied onto it after clean).
            try:
                membership_role_check(membership=self.instance, role=role)
            except TeamError as error:
                raise ValidationError(str(error)) from error
        return cleaned_data


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Changes and removals go through the services, as the members page's do: the owner
    rule holds, and whoever leaves or becomes a viewer loses the keys the page would
    revoke."""

    form = MembershipForm
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__email", "user__username", "organization__slug", "organization__name"]
    list_select_related = ["user", "organization"]
    autocomplete_fields = ["user", "organization"]

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> list[str]:
        # Moving a membership to another person or organization would remove an owner
        # from the first without the rule: remove it and add another instead.
        return ["user", "organization"] if obj is not None else []

    def save_model(
        self, request: HttpRequest, obj: Membership, form: ModelForm, change: bool
    ) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        stored = Membership.objects.get(pk=obj.pk)
        membership_role_set(membership=stored, role=obj.role, changed_by_user=request.user)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        memberships_delete(membership_ids=[obj.pk], removed_by_user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        memberships_delete(
            membership_ids=list(queryset.values_list("pk", flat=True)),
            removed_by_user=request.user,
        )

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except TeamError as error:  # raised by delete_model, after admin's transaction
            self.message_user(request, str(error), messages.ERROR)
            return redirect("admin:tokentracker_membership_change", object_id)

    def response_action(self, request: HttpRequest, queryset: QuerySet[Membership]) -> Any:
        try:
            return super().response_action(request, queryset)
        except TeamError as error:  # the bulk delete action (delete_queryset): none removed
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: an invitation's link exists only in the email it was sent in."""

    list_display = [
        "email",
        "organization",
        "role",
        "status",
        "invited_by",
        "sent_at",
        "expires_at",
    ]
    list_filter = ["role", "organization"]
    search_fields = ["email", "organization__slug"]
    list_select_related = ["organization", "invited_by"]
    exclude = ["token_digest"]

    @admin.display(description="Status")
    def status(self, invitation: Invitation) -> str:
        return invitation.status(timezone.now())

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "lookup", "mode", "scope", "last_used_at", "revoked_at"]
    list_filter = ["mode", "scope", "prefix"]
    search_fields = ["name", "lookup", "organization__slug"]
    # The digest is never shown: it is all a stolen database would need to test guesses.
    exclude = ["digest"]
    readonly_fields = [
        "lookup",
        "prefix",
        "mode",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        # Revoke instead: events keep pointing at the key that sent them.
        return False

    @admin.action(description="Revoke selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            services.api_key_revoke(api_key=api_key, revoked_by=request.user)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)


@admin.register(DailyEventCount)
class DailyEventCountAdmin(admin.ModelAdmin):
    list_display = ["organization", "day", "events"]
    list_filter = ["day"]
    search_fields = ["organization__slug"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ExchangeRateForm(ModelForm):
    def clean_currency(self) -> str:
        return _currency_cleaned(self.cleaned_data["currency"])


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    """The rates every conversion uses; `manage.py exchangerates_load` fills it from the ECB.
    Saving one converts the events that were waiting for a rate."""

    form = ExchangeRateForm
    list_display = ["day", "currency", "rate", "source", "updated_at"]
    list_filter = ["currency", "source"]
    search_fields = ["currency", "day"]
    date_hierarchy = "day"
    list_editable = ["rate"]
    readonly_fields = ["source", "updated_at"]
    ordering = ["-day", "currency"]
    show_full_result_count = False

    def save_model(
        self, request: HttpRequest, obj: ExchangeRate, form: ModelForm, change: bool
    ) -> None:
        if "rate" in form.changed_data:
            obj.source = RateSource.ADMIN
        super().save_model(request, obj, form, change)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the services write the log, nobody edits or deletes an entry."""

    list_display = ["created_at", "organization", "action", "actor_label", "target", "ip_address"]
    list_filter = ["action"]
    search_fields = ["organization__slug", "actor_label", "target", "actor_key_lookup"]
    list_select_related = ["organization"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False
