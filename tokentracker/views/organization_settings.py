"""The organization's settings: what is stored and shared, the reporting currency, and the
plan's quotas.

Every member may read it (the quotas explain a 429); only admins and owners change it, so
the form is shown disabled below admin and a POST from them is refused with 403.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from tokentracker.forms import OrganizationSettingsForm
from tokentracker.models import Membership, Role
from tokentracker.pages import organization_page
from tokentracker.plan_usage import plan_usage
from tokentracker.services import organization_settings_update


@organization_page()
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization = membership.organization
    may_change = membership.is_at_least(Role.ADMIN)
    current = {
        "payload_storage_enabled": organization.payload_storage_enabled,
        "community_data_opt_in": organization.community_data_opt_in,
        "quality_scale": organization.quality_scale,
        "reporting_currency": organization.reporting_currency,
    }
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied("Only admins and owners change the organization's settings.")
        form = OrganizationSettingsForm(request.POST)
        if form.is_valid():
            changed = organization_settings_update(
                organization=organization, changed_by=membership, **form.cleaned_data
            )
            messages.success(
                request, "Settings saved." if changed else "Nothing to change: settings kept."
            )
            return redirect("settings", org_slug=organization.slug)
    else:
        form = OrganizationSettingsForm(initial=current)
    if not may_change:
        for field in form.fields.values():
            field.disabled = True
    context = {
        "form": form,
        "may_change": may_change,
        "usage": plan_usage(organization, now=timezone.now()),
    }
    return render(request, "tokentracker/settings.html", context)
