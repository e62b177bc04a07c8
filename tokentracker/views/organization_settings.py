"""The organization's settings: what is stored and shared, how long raw events are kept,
the reporting currency, the plan's quotas, and (owners only) deleting the organization.

Every member may read it (the quotas explain a 429); only admins and owners change it, so
the form is shown disabled below admin and a POST from them is refused with 403.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tokentracker.forms import OrganizationDeleteForm, OrganizationSettingsForm
from tokentracker.models import Membership, Organization, Role
from tokentracker.pages import organization_page
from tokentracker.plan_usage import plan_usage
from tokentracker.services import organization_settings_update
from tokentracker.services.organization_deletion import (
    OrganizationDeletionRefused,
    organization_deletion_request,
)
from tokentracker.services.organizations import (
    OrganizationSettingInvalid,
    organization_retention_set,
    organization_tag_keys_set,
)
from tokentracker.tag_keys import tag_keys_text


def _settings_form(organization: Organization) -> OrganizationSettingsForm:
    return OrganizationSettingsForm(
        initial={
            "payload_storage_enabled": organization.payload_storage_enabled,
            "community_data_opt_in": organization.community_data_opt_in,
            "quality_scale": organization.quality_scale,
            "reporting_currency": organization.reporting_currency,
            "event_retention_days": organization.event_retention_days,
            "tag_keys": tag_keys_text(organization.tag_keys or []),
        }
    )


def _page(
    request: HttpRequest,
    membership: Membership,
    form: OrganizationSettingsForm,
    deletion_form: OrganizationDeleteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    organization = membership.organization
    may_change = membership.is_at_least(Role.ADMIN)
    if not may_change:
        for field in form.fields.values():
            field.disabled = True
    context = {
        "form": form,
        "may_change": may_change,
        "may_delete": membership.role == Role.OWNER,
        "deletion_form": deletion_form or OrganizationDeleteForm(),
        "events_purged_before": organization.events_purged_before,
        "usage": plan_usage(organization, now=timezone.now()),
    }
    return render(request, "tokentracker/settings.html", context, status=status)


@organization_page()
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization = membership.organization
    if request.method == "GET":
        return _page(request, membership, _settings_form(organization))
    if not membership.is_at_least(Role.ADMIN):
        raise PermissionDenied("Only admins and owners change the organization's settings.")
    form = OrganizationSettingsForm(request.POST)
    if not form.is_valid():
        return _page(request, membership, form, status=400)
    values = dict(form.cleaned_data)
    retention_days = values.pop("event_retention_days")
    tag_keys = values.pop("tag_keys")
    try:
        # Both or neither: a refused currency leaves the retention as it was too.
        with transaction.atomic():
            changed = organization_settings_update(
                organization=organization, changed_by=membership, **values
            )
            if form.retention_posted and organization_retention_set(
                organization=organization,
                changed_by=membership,
                event_retention_days=retention_days,
            ):
                changed.append("event_retention_days")
            if form.tag_keys_posted and organization_tag_keys_set(
                organization=organization, changed_by=membership, tag_keys=tag_keys
            ):
                changed.append("tag_keys")
    except OrganizationSettingInvalid as error:
        organization.refresh_from_db()
        form.add_error(error.field, error.message)
        return _page(request, membership, form, status=400)
    messages.success(request, "Settings saved." if changed else "Nothing to change: settings kept.")
    return redirect("settings", org_slug=organization.slug)


@require_POST
@organization_page(role=Role.OWNER)
def organization_delete_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization = membership.organization
    deletion_form = OrganizationDeleteForm(request.POST)
    if deletion_form.is_valid():
        try:
            organization_deletion_request(
                organization=organization,
                requested_by=membership,
                confirmation=deletion_form.cleaned_data["confirmation"],
            )
        except OrganizationDeletionRefused as error:
            deletion_form.add_error("confirmation", error.message)
        else:
            messages.success(
                request,
                f"{organization.name} is being deleted: nobody can use it any more, its API "
                "keys stop working now, and its data is deleted in the background.",
            )
            return redirect("home")
    form = _settings_form(organization)
    return _page(request, membership, form, deletion_form, status=400)
