"""API keys page: every member sees the keys; members create their own, admins manage all."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tokentracker.crypto import DecryptionFailed, json_decrypt, json_encrypt
from tokentracker.forms import ApiKeyForm
from tokentracker.models import Membership, Role
from tokentracker.pages import organization_page
from tokentracker.selectors import api_key_of_organization, api_keys_of_organization
from tokentracker.services import api_key_create, api_key_revoke

# The key just created waits in the session for the page the creation redirects to, which
# pops it: reloading that page cannot create a second key, and the key is shown once.
NEW_KEY_SESSION_KEY = "new_api_key"
# It waits encrypted (Fernet, FIELD_ENCRYPTION_KEY) and only this long. Fernet rather than
# a TimestampSigner: a signature only dates the value, the raw key would still lie readable
# in the session store (database or Redis) until the page is loaded, possibly never. The
# ciphertext carries its creation time, and past this age it no longer decrypts, whether
# or not the page was ever loaded.
NEW_KEY_MAX_AGE = timedelta(minutes=5)


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
    return _page(request, membership, ApiKeyForm(), created=_new_key_pop(request, membership))


def _new_key_pop(request: HttpRequest, membership: Membership) -> dict[str, str] | None:
    waiting = request.session.pop(NEW_KEY_SESSION_KEY, None)
    if (
        not isinstance(waiting, dict)
        or waiting.get("organization_id") != membership.organization_id
    ):
        return None  # made in another organization's page: never show it here
    try:
        return json_decrypt(waiting.get("sealed", ""), max_age=NEW_KEY_MAX_AGE)
    except DecryptionFailed:
        minutes = int(NEW_KEY_MAX_AGE.total_seconds() // 60)
        messages.warning(
            request,
            f"The key you created was shown only within {minutes} minutes of creating it. "
            "Revoke it and create another.",
        )
        return None


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
        "sealed": json_encrypt({"raw_key": created.raw_key, "prefix": created.api_key.prefix}),
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
