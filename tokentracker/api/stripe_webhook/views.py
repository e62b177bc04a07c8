"""`POST /api/stripe/webhook`: where Stripe posts its events (issue 17).

Translation only: the body and its `Stripe-Signature` go to `billing.payments.signatures`,
which verifies them with Stripe's library; the event is stored once by
`billing.services.stripe_events` and processed by a Celery task, so the answer is a 200 as
soon as it is stored (Stripe waits for nothing else, and resends whatever is not a 2xx).
No key and no session: the signature is the authentication, and the endpoint is exempt
from CSRF as every DRF view without session authentication is.

Errors are in the native API's shape, `{"error": {"code", "message", "details"}}`, but a
refused body is a 400 (Stripe's documented answer to a bad signature), not the native 422.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from billing.payments.signatures import stripe_event_verify
from billing.services.stripe_events import stripe_event_record
from tokentracker.api import errors
from tokentracker.api.base import PublicView
from tokentracker.api.parsers import JSONParser

STRIPE_WEBHOOK = errors.ErrorDialect(
    name="stripe_webhook", shape="nested", codes=errors.NATIVE.codes
)

ErrorSchema = inline_serializer(
    "StripeWebhookError",
    {
        "error": inline_serializer(
            "StripeWebhookErrorBody",
            {
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "details": serializers.DictField(),
            },
        )
    },
)


class StripeWebhookView(PublicView):
    error_dialect = STRIPE_WEBHOOK
    # Only for the schema: the body is read as bytes, since the signature covers exactly them.
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="postStripeWebhook",
        summary="Receive a Stripe event",
        description=(
            "Stripe's webhook endpoint (point a Stripe webhook at it with the events "
            "checkout.session.completed, customer.subscription.created/updated/deleted, "
            "invoice.paid and invoice.payment_failed). The `Stripe-Signature` header is "
            "verified against STRIPE_WEBHOOK_SECRET; the event is stored once by its id and "
            "processed in the background. A redelivered event is answered 200 and changes "
            "nothing. 503 while billing is not configured."
        ),
        parameters=[
            OpenApiParameter(
                "Stripe-Signature",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="Stripe's signature of the body: `t=<unix time>,v1=<hex HMAC>`.",
            )
        ],
        request=inline_serializer(
            "StripeEventBody",
            {
                "id": serializers.CharField(help_text="evt_..."),
                "object": serializers.CharField(help_text="event"),
                "type": serializers.CharField(help_text="e.g. invoice.paid"),
                "created": serializers.IntegerField(help_text="Unix time"),
                "data": serializers.DictField(help_text="`object`: what the event is about"),
            },
        ),
        responses={
            200: inline_serializer("StripeEventReceived", {"received": serializers.BooleanField()}),
            400: OpenApiResponse(
                ErrorSchema, description="No valid signature, or not a Stripe event: stored nothing"
            ),
            503: OpenApiResponse(ErrorSchema, description="Billing is not configured"),
        },
        auth=[],
        tags=["stripe"],
    )
    def post(self, request: Request) -> Response:
        event = stripe_event_verify(
            body=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
        stripe_event_record(payload=event)
        return Response({"received": True})
