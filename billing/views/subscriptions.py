"""The Plan & billing page: the organization's plan and the state of its subscription, its
use of the plan's quotas, the plans on offer, the invoices; buttons to pay through Stripe
Checkout and to open Stripe's customer portal.

Every member reads it (the quotas explain a 429). Admins and owners get the buttons; a POST
from anyone else is a 403 (`organization_page(role=ADMIN)`, and the checkout services judge
the role again). Both POSTs answer 303 to Stripe's page, or come back to this page with the
reason (a price no longer on sale, billing not configured, Stripe down); each counts on the
organization's per-minute write limit, as the APIs that do the same. Works without
JavaScript: plain forms and links.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from billing.models import SubscriptionStatus
from billing.payments.client import BillingNotConfigured
from billing.selectors.plan_offers import plan_offers
from billing.selectors.subscriptions import invoices_of, subscription_overview
from billing.services.checkout import (
    AlreadySubscribed,
    BillingCustomerMissing,
    BillingPermissionDenied,
    CheckoutInvalid,
    StripeRequestFailed,
    checkout_start,
    portal_start,
)
from tokentracker.models import Membership, Role
from tokentracker.pages import organization_page
from tokentracker.ratelimit import minute_rate_limit_hit

# Where the page's forms end: their POST answers 303 to Stripe's hosted Checkout or portal,
# and browsers apply the page's form-action to where a form's redirects lead, which the
# site's policy limits to 'self'. A Stripe-compatible API elsewhere (stripe-mock, the
# suite's stand-in) serves its session pages on its own origin.
STRIPE_PAGE_ORIGINS = ("https://checkout.stripe.com", "https://billing.stripe.com")
# The latest invoices shown; Stripe's customer portal lists them all.
INVOICES_SHOWN = 24
RETURN_MESSAGES = {
    "success": ("success", "Payment received; the plan changes as soon as Stripe confirms it."),
    "canceled": ("info", "Checkout canceled: nothing was charged and the plan is unchanged."),
}


class HttpResponseSeeOther(HttpResponseRedirect):
    """The POST is done: the browser GETs Stripe's page (303, never a repeated POST)."""

    status_code = 303


def _page_url(request: HttpRequest, membership: Membership) -> str:
    slug = membership.organization.slug
    return request.build_absolute_uri(reverse("billing_plan", kwargs={"org_slug": slug}))


def _page(request: HttpRequest, membership: Membership, status: int = 200) -> HttpResponse:
    organization = membership.organization
    returned = RETURN_MESSAGES.get(request.GET.get("checkout", ""))
    overview = subscription_overview(organization=organization, now=timezone.now())
    context = {
        "overview": overview,
        "status_label": SubscriptionStatus(overview.status).label,
        "offers": plan_offers(organization=organization),
        "invoices": list(invoices_of(organization=organization)[: INVOICES_SHOWN + 1]),
        "invoices_shown": INVOICES_SHOWN,
        "may_buy": membership.is_at_least(Role.ADMIN),
        "returned": returned,
    }
    response = render(request, "billing/plan.html", context, status=status)
    api = urlsplit(settings.STRIPE_API_BASE)
    to_stripe = {"form-action": [*STRIPE_PAGE_ORIGINS, f"{api.scheme}://{api.netloc}"]}
    # django-csp adds these to the policy of this response only, enforced or report-only.
    response._csp_update = to_stripe  # type: ignore[attr-defined]
    response._csp_update_ro = to_stripe  # type: ignore[attr-defined]
    return response


@require_safe
@organization_page()
def billing_plan_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _page(request, membership)


def _write_limited(request: HttpRequest, membership: Membership) -> HttpResponse | None:
    if not settings.RATE_LIMIT_ENABLED:
        return None
    usage = minute_rate_limit_hit(membership.organization_id, "post")
    if not usage.exceeded:
        return None
    messages.error(
        request,
        f"Your organization may make {usage.limit} changes a minute; try again in "
        f"{usage.retry_after} seconds.",
    )
    response = _page(request, membership, status=429)
    response["Retry-After"] = str(usage.retry_after)
    return response


@require_POST
@organization_page(role=Role.ADMIN)
def billing_checkout_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    limited = _write_limited(request, membership)
    if limited is not None:
        return limited
    page = _page_url(request, membership)
    try:
        redirect = checkout_start(
            actor=membership,
            organization=membership.organization,
            price_id=request.POST.get("price_id"),
            success_url=f"{page}?checkout=success",
            cancel_url=f"{page}?checkout=canceled",
            request_host=request.get_host(),
            request_secure=request.is_secure(),
        )
    except BillingPermissionDenied as error:
        raise PermissionDenied(error.message) from error
    except AlreadySubscribed:
        messages.info(request, "Nothing was bought: the organization already has this plan.")
        return HttpResponseRedirect(page)
    except CheckoutInvalid:
        # The page's own forms name a price it listed: it went off sale since.
        messages.error(request, "Nothing was bought: that plan is no longer on sale.")
        return HttpResponseRedirect(page)
    except (BillingNotConfigured, StripeRequestFailed) as error:
        messages.error(request, f"Nothing was bought. {error.message}")
        return HttpResponseRedirect(page)
    return HttpResponseSeeOther(redirect.url)


@require_POST
@organization_page(role=Role.ADMIN)
def billing_portal_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    limited = _write_limited(request, membership)
    if limited is not None:
        return limited
    page = _page_url(request, membership)
    try:
        redirect = portal_start(
            actor=membership,
            organization=membership.organization,
            return_url=page,
            request_host=request.get_host(),
            request_secure=request.is_secure(),
        )
    except BillingPermissionDenied as error:
        raise PermissionDenied(error.message) from error
    except (BillingCustomerMissing, BillingNotConfigured, StripeRequestFailed) as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(page)
    return HttpResponseSeeOther(redirect.url)
