"""API keys page: every member sees the keys; members create their own, admins manage all."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tokentracker.forms import ApiKeyForm
from tokentracker.models import Membership, Role
from tokentracker.pages import organization_page
from tokentracker.selectors import api_key_of_organization, api_keys_of_organization
from tokentracker.services import api_key_create, api_key_revoke

# The key just created waits here for the page the creation redirects to, which pops it:
# reloading that page cannot create a second key, and the key is shown exactly once.
NEW_KEY_SESSION_KEY = "new_api_key"


def _page(
    request: HttpRequest,
    membership: Membership,
    form: ApiKeyForm,
    created: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    api_keys = [
        (api_key, membership.can_manage_api_key(api_key))
        for api_key in api_keys_of_organization(membership.organization_id)
    ]
    response = render(
        request,
        "tokentracker/api_keys.html",
        {"api_keys": api_keys, "form": form, "created": created},
        status=status,
    )
    if created is not None:
        # The raw key is in this response only: keep it out of every cache.
        response["Cache-Control"] = "no-store"
    return response


@organization_page()
def api_keys(request: HttpRequest, membership: Membership) -> HttpResponse:
    created = request.session.pop(NEW_KEY_SESSION_KEY, None)
    if created is not None and created.get("organization_id") != membership.organization_id:
        created = None  # made in another organization's page: never show it here
    return _page(request, membership, ApiKeyForm(), created=created)


@require_POST
@organization_page(role=Role.MEMBER)
def api_key_create_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, membership, form, status=400)
    created = api_key_create(
        organization=membership.organization,
        name=form.cleaned_data["name"],
        prefix=form.cleaned_data["prefix"],
        scope=form.cleaned_data["scope"],
        created_by=request.user,
    )
    # Shown on the next page only, never again: only its digest is stored.
    request.session[NEW_KEY_SESSION_KEY] = {
        "organization_id": membership.organization_id,
        "raw_key": created.raw_key,
        "prefix": created.api_key.prefix,
    }
    return redirect("api-keys", org_slug=membership.organization.slug)


@require_POST
@organization_page(role=Role.MEMBER)
def api_key_revoke_page(
    request: HttpRequest, membership: Membership, api_key_id: int
) -> HttpResponse:
    api_key = api_key_of_organization(membership.organization_id, api_key_id)
    if api_key is None:
        raise Http404("No such API key.")
    if not membership.can_manage_api_key(api_key):
        raise PermissionDenied("Members revoke only the keys they created.")
    if request.POST.get("confirm") != "yes":
        # Confirmed in the page's <details> (no JavaScript): one stray click revokes nothing.
        messages.error(request, f"Confirm to revoke {api_key.name}: nothing was changed.")
        return redirect("api-keys", org_slug=membership.organization.slug)
    api_key_revoke(api_key=api_key)
    messages.success(request, f"{api_key.name} ({api_key.lookup}…) was revoked.")
    return redirect("api-keys", org_slug=membership.organization.slug)
