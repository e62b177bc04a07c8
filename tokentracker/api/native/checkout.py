"""`POST /api/v1/billing/checkout` and `POST /api/v1/billing/portal`: where to send an admin
to pay for a plan through Stripe, or to manage what was bought (payment methods, invoices,
cancellation) in Stripe's customer portal (`billing.services.checkout`).

Admins and owners; with an API key, the key's creator as they are now
(`NativeViewSet.writer`). Each call counts as a write on the organization's per-minute
limit, shared with CodingVibez's `POST /api/checkout`. Billing not configured, or Stripe
refusing or unreachable: 503 with the reason; the portal before any checkout: 409.
"""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import BillingAccount
from billing.services.checkout import BillingRedirect, checkout_start, portal_start
from tokentracker.api.base import NativeViewSet
from tokentracker.api.ratelimit import RateLimitExceeded
from tokentracker.models import Organization
from tokentracker.permissions import HasApiKeyOrMember
from tokentracker.ratelimit import minute_rate_limit_hit
from tokentracker.selectors import organizations_of_key

TAGS = ["billing"]
REDIRECT_KINDS = ["checkout", "portal"]
_ON_THIS_SITE = (
    "An absolute URL of this site (its host, ALLOWED_HOSTS or BILLING_RETURN_HOSTS; https "
    "when the site is)."
)


class CheckoutBodySerializer(serializers.Serializer):
    price_id = serializers.CharField(help_text="A Stripe price id on offer (an active plan price).")
    success_url = serializers.CharField(
        help_text="Where Stripe sends the buyer after paying. " + _ON_THIS_SITE
    )
    cancel_url = serializers.CharField(
        help_text="Where Stripe sends the buyer back without paying. " + _ON_THIS_SITE
    )


class PortalBodySerializer(serializers.Serializer):
    return_url = serializers.CharField(
        help_text="Where the portal's back link leads. " + _ON_THIS_SITE
    )


class BillingRedirectSerializer(serializers.Serializer):
    session_id = serializers.CharField(help_text="Stripe's id of the session (cs_... or bps_...).")
    url = serializers.URLField(help_text="Send the buyer here (Stripe's page).")
    kind = serializers.ChoiceField(
        choices=REDIRECT_KINDS,
        help_text="checkout: a Checkout Session; portal: Stripe's customer portal.",
    )


ERRORS = {
    401: OpenApiResponse(description="Invalid or missing API token"),
    403: OpenApiResponse(
        description="Not an admin or owner (with a key: its creator), or a read-only key"
    ),
    409: OpenApiResponse(description="No Stripe customer yet: check out a plan first"),
    422: OpenApiResponse(description="Validation failed; details names the field"),
    429: OpenApiResponse(description="The organization's per-minute write limit"),
    503: OpenApiResponse(
        description="billing_not_configured (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET "
        "unset), or stripe_error: Stripe refused or could not be reached (its message)"
    ),
}


class BillingRedirectViewSet(NativeViewSet):
    # What the answers are about; the views reach it through the checkout services only.
    queryset = BillingAccount.objects.all()
    permission_classes = [HasApiKeyOrMember]
    viewer_write_refusal = "Viewers cannot buy plans or manage billing: admins and owners can."
    writes = "plan purchases and billing"

    def _body(self) -> dict[str, Any]:
        if not isinstance(self.request.data, dict):
            raise serializers.ValidationError({"body": ["must be a JSON object"]})
        return self.request.data

    def _organization(self) -> Organization:
        return organizations_of_key(self.organization_id).get()

    def _count_write(self) -> None:
        # A Stripe session per call: the same budget as every other write of the organization.
        if settings.RATE_LIMIT_ENABLED:
            usage = minute_rate_limit_hit(self.organization_id, "post")
            if usage.exceeded:
                raise RateLimitExceeded(usage)

    @staticmethod
    def _answer(redirect: BillingRedirect) -> Response:
        body = {"session_id": redirect.session_id, "url": redirect.url, "kind": redirect.kind}
        return Response(BillingRedirectSerializer(body).data)

    @extend_schema(
        operation_id="billing_checkout",
        summary="Start paying for a plan",
        description=(
            "A Stripe Checkout Session (mode subscription) for the organization's Stripe "
            "customer, created on first use; its `url` is where the buyer pays. If the "
            "organization already has a live subscription (active, trialing, past due), the "
            "customer portal confirming the change to this price instead (`kind: portal`): "
            "an organization never pays for two. The plan changes when Stripe's webhook "
            "confirms the payment. Admins and owners."
        ),
        request=CheckoutBodySerializer,
        examples=[
            OpenApiExample(
                "Buy Pro",
                value={
                    "price_id": "price_pro_monthly",
                    "success_url": "https://tokentracker.example.com/o/acme/billing/?checkout=success",
                    "cancel_url": "https://tokentracker.example.com/o/acme/billing/?checkout=canceled",
                },
                request_only=True,
            )
        ],
        responses={
            200: BillingRedirectSerializer,
            **{code: ERRORS[code] for code in (401, 403, 422, 429, 503)},
        },
        tags=TAGS,
    )
    # serializer_class: what OPTIONS describes (DRF's metadata reads the body's serializer).
    @action(
        detail=False, methods=["post"], url_name="checkout", serializer_class=CheckoutBodySerializer
    )
    def checkout(self, request: Request) -> Response:
        body = self._body()
        writer = self.writer()
        self._count_write()
        redirect = checkout_start(
            actor=writer.membership,
            organization=self._organization(),
            price_id=body.get("price_id"),
            success_url=body.get("success_url"),
            cancel_url=body.get("cancel_url"),
            request_host=request.get_host(),
            request_secure=request.is_secure(),
        )
        return self._answer(redirect)

    @extend_schema(
        operation_id="billing_portal",
        summary="Open Stripe's customer portal",
        description=(
            "Where an admin manages what the organization bought: payment methods, "
            "invoices, cancellation (at the end of the period). Needs a Stripe customer "
            "(a first checkout); 409 before. Admins and owners."
        ),
        request=PortalBodySerializer,
        responses={
            200: BillingRedirectSerializer,
            **{code: ERRORS[code] for code in (401, 403, 409, 422, 429, 503)},
        },
        tags=TAGS,
    )
    @action(
        detail=False, methods=["post"], url_name="portal", serializer_class=PortalBodySerializer
    )
    def portal(self, request: Request) -> Response:
        body = self._body()
        writer = self.writer()
        self._count_write()
        redirect = portal_start(
            actor=writer.membership,
            organization=self._organization(),
            return_url=body.get("return_url"),
            request_host=request.get_host(),
            request_secure=request.is_secure(),
        )
        return self._answer(redirect)
