"""The organization's audit log, for its admins and owners: who created and revoked keys,
changed members, settings and integrations, newest first, 50 a page, by action."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tokentracker.forms import AuditLogFilterForm
from tokentracker.models import Membership, Role
from tokentracker.pages import organization_page
from tokentracker.selectors import audit_entries

AUDIT_PAGE_SIZE = 50


@require_GET
@organization_page(role=Role.ADMIN)
def audit_log(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = AuditLogFilterForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "entries": None}
        return render(request, "tokentracker/audit_log.html", context, status=400)
    entries = audit_entries(membership.organization_id, action=form.cleaned_data["action"])
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tokentracker/audit_log.html", {"form": form, "entries": page})
