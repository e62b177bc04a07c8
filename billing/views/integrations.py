"""The Integrations page: per provider, its admin key (last four characters only), the
status of its sync, its last runs, and what its admin key can see.

Every member reads it. Admins and owners connect, rotate and remove keys
(`organization_page(role=ADMIN)`, and the integration services judge the role again);
members and up may also "Sync now", as they may through the APIs, on the organization's
sync budget of the CodingVibez API (10 a minute by default), so the page is no way around it.
The posted key is a sensitive parameter: Django's error reports star it out.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from billing.forms import AdminKeyForm
from billing.models import IntegrationStatus, ProviderIntegration, SyncedProvider, SyncTrigger
from billing.selectors.integrations import (
    IntegrationOverview,
    integration_of_organization,
    integrations_overview,
)
from billing.services.integrations import (
    IntegrationInvalid,
    IntegrationNotConnected,
    IntegrationPermissionDenied,
    integration_connect,
    integration_remove,
    integration_sync_soon,
)
from tokentracker.models import Membership, Role
from tokentracker.pages import organization_page
from tokentracker.ratelimit import minute_rate_limit_hit


@dataclass(frozen=True)
class ProviderGuide:
    """What a provider's admin key can see, and where an admin creates one."""

    sees: str
    where: str
    url: str
    prefix: str


GUIDES = {
    SyncedProvider.OPENAI: ProviderGuide(
        sees=(
            "The organization's Usage API (completions tokens per hour and day, by model, "
            "project and API key) and Costs API (what OpenAI bills per day, line item and "
            "project). An admin key can also manage the organization's members, projects and "
            "keys: TokenTracker only ever reads usage and costs with it."
        ),
        where="platform.openai.com → Settings → Organization → Admin keys (organization owners)",
        url="https://platform.openai.com/settings/organization/admin-keys",
        prefix="sk-admin-",
    ),
    SyncedProvider.ANTHROPIC: ProviderGuide(
        sees=(
            "The organization's usage report (Messages API tokens per hour and day, by model, "
            "workspace and API key) and cost report (what Anthropic bills per day, by "
            "workspace and description). An admin key can also manage members, workspaces "
            "and API keys: TokenTracker only ever reads the two reports with it."
        ),
        where=(
            "console.anthropic.com → Settings → Admin keys (organization admins; not "
            "available to individual accounts)"
        ),
        url="https://console.anthropic.com/settings/admin-keys",
        prefix="sk-ant-admin",
    ),
}


@dataclass(frozen=True)
class IntegrationCard:
    overview: IntegrationOverview
    form: AdminKeyForm
    guide: ProviderGuide

    @property
    def provider(self) -> SyncedProvider:
        return self.overview.provider

    @property
    def integration(self) -> ProviderIntegration | None:
        return self.overview.integration

    @property
    def usage_complete_through(self) -> date | None:
        return _last_day_before(self.integration.usage_synced_until if self.integration else None)

    @property
    def costs_complete_through(self) -> date | None:
        return _last_day_before(self.integration.costs_synced_until if self.integration else None)

    @property
    def state(self) -> str:
        """The badge's colour: ok, warning (partial, not yet synced), danger, or off."""
        if self.integration is None:
            return "off"
        status = self.integration.status
        if status == IntegrationStatus.OK:
            return "ok"
        if status in (IntegrationStatus.INVALID_KEY, IntegrationStatus.ERROR):
            return "danger"
        return "warning"


def _last_day_before(synced_until: datetime | None) -> date | None:
    """`*_synced_until` is the end of the last complete day stored: the day before it."""
    return None if synced_until is None else (synced_until - timedelta(days=1)).date()


def _provider_or_404(provider: str) -> SyncedProvider:
    if provider not in SyncedProvider.values:
        raise Http404("No such provider.")
    return SyncedProvider(provider)


def _back(membership: Membership, provider: SyncedProvider) -> HttpResponseRedirect:
    url = reverse("integrations", kwargs={"org_slug": membership.organization.slug})
    return HttpResponseRedirect(f"{url}#integration-{provider.value}")


def _page(
    request: HttpRequest,
    membership: Membership,
    forms: dict[SyncedProvider, AdminKeyForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    forms = forms or {}
    cards = [
        IntegrationCard(
            overview=overview,
            form=forms.get(overview.provider)
            or AdminKeyForm(provider=overview.provider, rotating=overview.connected),
            guide=GUIDES[overview.provider],
        )
        for overview in integrations_overview(membership.organization_id)
    ]
    context = {
        "cards": cards,
        "may_manage": membership.is_at_least(Role.ADMIN),
        "may_sync": membership.is_at_least(Role.MEMBER),
    }
    return render(request, "billing/integrations.html", context, status=status)


@organization_page()
def integrations_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _page(request, membership)


@require_POST
@sensitive_post_parameters("admin_key")
@organization_page(role=Role.ADMIN)
def integration_connect_page(
    request: HttpRequest, membership: Membership, provider: str
) -> HttpResponse:
    slug = _provider_or_404(provider)
    connected = integration_of_organization(membership.organization_id, slug) is not None
    form = AdminKeyForm(request.POST, provider=slug, rotating=connected)
    if form.is_valid():
        try:
            integration = integration_connect(
                actor=membership,
                organization_id=membership.organization_id,
                provider=slug,
                admin_key=form.cleaned_data["admin_key"],
                created_by_id=request.user.pk,
            )
        except IntegrationPermissionDenied as error:
            raise PermissionDenied(error.message) from error
        except IntegrationInvalid as error:
            message = error.details[error.field][0]
            form.add_error("admin_key", f"{message[:1].upper()}{message[1:]}.")
        else:
            done = "key rotated" if connected else "connected"
            messages.success(
                request,
                f"{slug.label} {done}: the key ending {integration.key_last_four} is stored "
                "encrypted. Sync now to fetch its usage and costs, or wait for the hourly sync.",
            )
            return _back(membership, slug)
    return _page(request, membership, forms={slug: form}, status=400)


@require_POST
@organization_page(role=Role.ADMIN)
def integration_remove_page(
    request: HttpRequest, membership: Membership, provider: str
) -> HttpResponse:
    slug = _provider_or_404(provider)
    if request.POST.get("confirm") != "yes":
        # Confirmed in the page's <details> (no JavaScript): one stray click removes nothing.
        messages.error(request, f"Confirm to remove {slug.label}: nothing was changed.")
        return _back(membership, slug)
    try:
        removed = integration_remove(
            actor=membership,
            organization_id=membership.organization_id,
            provider=slug,
            removed_by_id=membership.user_id,
        )
    except IntegrationPermissionDenied as error:
        raise PermissionDenied(error.message) from error
    if removed:
        messages.success(
            request,
            f"{slug.label} removed: its admin key is deleted and it is no longer synced. The "
            "usage and costs it synced stay in your history.",
        )
    else:
        messages.error(request, f"{slug.label} is not connected: nothing was changed.")
    return _back(membership, slug)


@require_POST
@organization_page(role=Role.MEMBER)
def integration_sync_page(
    request: HttpRequest, membership: Membership, provider: str
) -> HttpResponse:
    slug = _provider_or_404(provider)
    if settings.RATE_LIMIT_ENABLED:
        usage = minute_rate_limit_hit(membership.organization_id, "sync")
        if usage.exceeded:
            messages.error(
                request,
                f"Your organization may sync {usage.limit} times a minute; try again in "
                f"{usage.retry_after} seconds.",
            )
            response = _page(request, membership, status=429)
            response["Retry-After"] = str(usage.retry_after)
            return response
    try:
        result = integration_sync_soon(
            organization_id=membership.organization_id, provider=slug, trigger=SyncTrigger.PAGE
        )
    except IntegrationNotConnected:
        messages.error(request, f"{slug.label} is not connected: connect an admin key first.")
        return _back(membership, slug)
    if result is None:
        messages.info(
            request, f"{slug.label} sync queued: its status here changes when it finishes."
        )
    elif result.already_running:
        messages.info(request, f"{slug.label}: {result.message}")
    elif result.status == IntegrationStatus.OK:
        messages.success(
            request,
            f"{slug.label} synced: {result.usage_records} usage and {result.cost_records} "
            "cost records.",
        )
    else:
        level = messages.WARNING if result.status == IntegrationStatus.PARTIAL else messages.ERROR
        label = IntegrationStatus(result.status).label
        messages.add_message(request, level, f"{slug.label}: {label.lower()}. {result.message}")
    return _back(membership, slug)
