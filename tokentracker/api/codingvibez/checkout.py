"""CodingVibez `POST /api/checkout`: where to pay for a plan (`priceId`), and where Stripe
sends the buyer back (`successUrl`, `cancelUrl`, pages of this site).

Buying commits the organization to pay, so it is an admin's act: a signed-in admin or owner
(in several organizations: name one with `organizationId`), or a write key acting for the
admin or owner who created it, as long as they still are one (as invitations do). Members,
viewers and read-only keys get 403; the request counts as a write on the per-minute limit.
The answer is a Checkout Session's URL for a first subscription; for an organization that
already has one, the URL of Stripe's customer portal confirming the change of plan (`kind`
says which), so no organization ever pays for two. Billing off, or Stripe refusing or
unreachable: 503 INTEGRATION_ERROR with the reason (the seed's code for a third party).
"""

from typing import Literal

from drf_spectacular.utils import OpenApiExample, extend_schema
from pydantic import BaseModel, Field
from rest_framework.request import Request
from rest_framework.response import Response

from billing.payments.client import BillingNotConfigured
from billing.services.checkout import CheckoutInvalid, StripeRequestFailed, checkout_start
from tokentracker.api.base import CodingVibezView
from tokentracker.api.errors import ApiError, Kind
from tokentracker.api.parsers import JSONParser
from tokentracker.models import Membership
from tokentracker.selectors import membership_of, membership_of_key_creator

from .params import invalid
from .schemas import enveloped, errors
from .team import ExplicitOrganization

TAGS = ["codingvibez"]
# The service's names for the fields, as this contract spells them.
FIELDS = {"price_id": "priceId", "success_url": "successUrl", "cancel_url": "cancelUrl"}


class CodingVibezCheckoutBody(BaseModel):
    priceId: str = Field(
        description="A Stripe price id on offer (the Plan & billing page lists them).",
        examples=["price_pro_monthly"],
    )
    successUrl: str = Field(
        description="Where Stripe sends the buyer after paying: an absolute URL of this "
        "site (https when the site is; Stripe's {CHECKOUT_SESSION_ID} may appear in it).",
    )
    cancelUrl: str = Field(description="Where Stripe sends the buyer back without paying.")
    organizationId: str | None = Field(
        default=None,
        description="Signed in, in several organizations: which one buys (the `id` of "
        "GET /api/organizations).",
    )


class CodingVibezCheckout(BaseModel):
    sessionId: str = Field(description="Stripe's id of the session (cs_... or bps_...).")
    url: str = Field(description="Send the buyer here (Stripe's page).")
    kind: Literal["checkout", "portal"] = Field(
        description="checkout: a Checkout Session for a first subscription; portal: the "
        "customer portal confirming a change of the organization's subscription."
    )


class CheckoutView(ExplicitOrganization, CodingVibezView):
    parser_classes = [JSONParser]
    viewer_write_refusal = "Viewers cannot buy plans: admins and owners can."

    @extend_schema(
        operation_id="codingvibez_checkout",
        summary="Start paying for a plan (CodingVibez)",
        description=(
            "Creates a Stripe Checkout Session for the organization's Stripe customer "
            "(created on first use) and answers its URL; if the organization already "
            "subscribes, the URL of Stripe's customer portal confirming the change of plan "
            "instead. The plan changes once Stripe confirms the payment (its webhook). "
            "Admins and owners, or a write key of one; success and cancel URLs must be this "
            "site's. 503 when billing is not configured or Stripe fails."
        ),
        request=CodingVibezCheckoutBody,
        examples=[
            OpenApiExample(
                "Buy Pro",
                value={
                    "priceId": "price_pro_monthly",
                    "successUrl": "https://tokentracker.example.com/o/acme/billing/?checkout=success",
                    "cancelUrl": "https://tokentracker.example.com/o/acme/billing/?checkout=canceled",
                },
                request_only=True,
            )
        ],
        responses={200: enveloped(CodingVibezCheckout), **errors(400, 401, 403, 503)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise invalid("body", "must be a JSON object")
        body = request.data
        buyer = self._buyer(request)
        try:
            redirect = checkout_start(
                actor=buyer,
                organization=buyer.organization,
                price_id=body.get("priceId"),
                success_url=body.get("successUrl"),
                cancel_url=body.get("cancelUrl"),
                request_host=request.get_host(),
                request_secure=request.is_secure(),
            )
        except CheckoutInvalid as error:
            raise invalid(FIELDS[error.field], error.details[error.field][0]) from None
        except (BillingNotConfigured, StripeRequestFailed) as error:
            raise ApiError(Kind.UNAVAILABLE, error.message, code="INTEGRATION_ERROR") from None
        answer = CodingVibezCheckout(
            sessionId=redirect.session_id, url=redirect.url, kind=redirect.kind
        )
        return self.envelope(answer.model_dump())

    def _buyer(self, request: Request) -> Membership:
        if self.api_key is None:
            buyer = membership_of(request.user, self.organization_id)
            assert buyer is not None, "HasApiKeyOrMember resolved this membership"
            return buyer
        # Checked on every call: a key made by someone since removed or demoted buys
        # nothing, whatever its creator could do the day it was made.
        buyer = membership_of_key_creator(self.api_key.id)
        if buyer is None:
            raise ApiError(
                Kind.FORBIDDEN,
                "This API key acts for no current member (it was created from the command "
                "line or its creator left): buying a plan needs a key of an admin or owner.",
            )
        return buyer
