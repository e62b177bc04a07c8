"""`/api/v1/webhooks`: where budget alerts are posted (Slack incoming webhooks, and JSON
webhooks signed as Standard Webhooks says), their delivery log and a test event; and
`/api/v1/alert-deliveries`: every alert's deliveries with their attempts.

Writes go through `billing.services.webhooks` and `billing.services.deliveries`: admins
and owners only, as for budgets, since an endpoint decides where alert data goes. With a
write key, that is the role of the person who created the key, as it is now
(`NativeViewSet.writer`). A URL is shown only as its scheme and host (`url_shown`): a Slack
URL is itself a credential. The signing secret is answered once, when the webhook is
created.
"""

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import (
    AlertDelivery,
    AlertEventType,
    DeliveryAttempt,
    DeliveryChannel,
    DeliveryStatus,
    WebhookEndpoint,
    WebhookKind,
)
from billing.selectors.deliveries import alert_deliveries_of
from billing.services.deliveries import webhook_test_send
from billing.services.webhooks import (
    WebhookEndpointInvalid,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
)
from tokentracker.api.base import NativeViewSet
from tokentracker.api.pagination import CursorPagination

WEBHOOK_TAGS = ["webhooks"]
DELIVERY_TAGS = ["alert-deliveries"]

ERRORS = {
    401: OpenApiResponse(description="Invalid or missing API token"),
    403: OpenApiResponse(
        description="The API key is read-only, or acts for no admin or owner of the organization"
    ),
    404: OpenApiResponse(description="No such webhook in the key's organization"),
    422: OpenApiResponse(description="Validation failed; details names the field"),
}


class WebhookSerializer(serializers.ModelSerializer):
    url_shown = serializers.CharField(
        read_only=True,
        help_text="The URL's scheme and host only: the rest (a Slack URL's token) stays secret.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "name", "kind", "url_shown", "active", "created_at", "updated_at"]
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text=(
            "`kind` webhook: the `whsec_` secret to verify signatures with, shown this once. "
            "Empty for Slack."
        ),
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookInputSerializer(serializers.Serializer):
    """The request body (documentation only: the service validates)."""

    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(
        choices=WebhookKind.choices,
        help_text='`slack`: posts `{"text"}`; `webhook`: a signed JSON body. Fixed once made.',
    )
    url = serializers.CharField(
        write_only=True,
        help_text=(
            "http or https, with a host and no user:password; not an address inside our "
            "network (loopback, private, link-local, ...) unless the server allows it "
            "(ALERT_WEBHOOK_ALLOW_PRIVATE)."
        ),
    )
    active = serializers.BooleanField(default=True)


class WebhookUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    url = serializers.CharField(write_only=True, required=False)
    active = serializers.BooleanField(required=False)


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = [
            "number",
            "started_at",
            "finished_at",
            "succeeded",
            "response_status",
            "error",
            "next_attempt_at",
        ]
        read_only_fields = fields


class AlertDeliverySerializer(serializers.ModelSerializer):
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)
    target = serializers.CharField(
        read_only=True, help_text="The address, or the endpoint's scheme and host."
    )

    class Meta:
        model = AlertDelivery
        fields = [
            "id",
            "alert",
            "event_type",
            "channel",
            "endpoint",
            "target",
            "message_id",
            "status",
            "attempts",
            "last_response_status",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "payload",
            "attempt_log",
        ]
        read_only_fields = fields


class DeliveryPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500


def _invalid(error: WebhookEndpointInvalid) -> serializers.ValidationError:
    return serializers.ValidationError({error.field: [error.message]})


@extend_schema_view(
    list=extend_schema(summary="List webhooks", tags=WEBHOOK_TAGS),
    retrieve=extend_schema(summary="One webhook", tags=WEBHOOK_TAGS),
    destroy=extend_schema(
        summary="Delete a webhook",
        description="Its deliveries stay in /api/v1/alert-deliveries.",
        tags=WEBHOOK_TAGS,
    ),
)
class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    NativeViewSet,
):
    queryset = WebhookEndpoint.objects.all()
    serializer_class = WebhookSerializer
    pagination_class = DeliveryPagination
    # PATCH changes what is sent; a whole-object PUT would have to resend the URL.
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    writes = "webhooks"

    @extend_schema(
        summary="Add a webhook",
        description=(
            "A Slack-compatible incoming webhook (`kind` slack) or a JSON webhook (`kind` "
            "webhook) that every budget alert of the organization is posted to. A JSON "
            "webhook gets a `whsec_` secret, answered once, to verify the Standard Webhooks "
            "signature with. Admins and owners only (with a key: its creator's role)."
        ),
        request=WebhookInputSerializer,
        responses={201: WebhookCreatedSerializer, **ERRORS},
        tags=WEBHOOK_TAGS,
    )
    def create(self, request: Request) -> Response:
        body = request.data if isinstance(request.data, dict) else {}
        writer = self.writer()
        try:
            created = webhook_endpoint_create(
                organization_id=self.organization_id,
                actor=writer.membership,
                name=body.get("name"),
                kind=body.get("kind"),
                url=body.get("url"),
                active=body.get("active", True),
                created_by_id=writer.user_id,
            )
        except WebhookEndpointInvalid as error:
            raise _invalid(error) from None
        data = WebhookCreatedSerializer(created.endpoint).data
        data["secret"] = created.secret
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a webhook",
        description="Its name, URL or `active`; the kind and the secret stay.",
        request=WebhookUpdateSerializer,
        responses={200: WebhookSerializer, **ERRORS},
        tags=WEBHOOK_TAGS,
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        endpoint = self.get_object()
        writer = self.writer()
        body = request.data if isinstance(request.data, dict) else {}
        fields = ("name", "kind", "url", "active")
        changes = {field: body[field] for field in fields if field in body}
        try:
            endpoint = webhook_endpoint_update(
                organization_id=self.organization_id,
                endpoint_id=endpoint.pk,
                actor=writer.membership,
                **changes,
            )
        except WebhookEndpointInvalid as error:
            raise _invalid(error) from None
        return Response(self.get_serializer(endpoint).data)

    def perform_destroy(self, instance: WebhookEndpoint) -> None:
        webhook_endpoint_delete(
            organization_id=self.organization_id,
            endpoint_id=instance.pk,
            actor=self.writer().membership,
        )

    @extend_schema(
        summary="A webhook's deliveries",
        description="Newest first, each with every attempt it took.",
        responses={200: AlertDeliverySerializer(many=True), 404: ERRORS[404]},
        tags=WEBHOOK_TAGS,
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str) -> Response:
        endpoint = self.get_object()
        deliveries = alert_deliveries_of(
            organization_id=self.organization_id, endpoint_id=endpoint.pk
        )
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(AlertDeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send a test event",
        description=(
            "Posts a `webhook.test` event (Slack: a test message), delivered, retried and "
            "logged like an alert. Answers the delivery as queued: read how it went from "
            "the webhook's deliveries."
        ),
        request=None,
        responses={202: AlertDeliverySerializer, **ERRORS},
        tags=WEBHOOK_TAGS,
    )
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str) -> Response:
        endpoint = self.get_object()
        delivery = webhook_test_send(
            organization_id=self.organization_id,
            endpoint_id=endpoint.pk,
            actor=self.writer().membership,
        )
        delivery = alert_deliveries_of(organization_id=self.organization_id).get(pk=delivery.pk)
        return Response(AlertDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class AlertDeliveryFilter(django_filters.FilterSet):
    alert = django_filters.NumberFilter(field_name="alert_id")
    endpoint = django_filters.NumberFilter(field_name="endpoint_id")
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    channel = django_filters.ChoiceFilter(choices=DeliveryChannel.choices)
    event_type = django_filters.ChoiceFilter(choices=AlertEventType.choices)

    class Meta:
        model = AlertDelivery
        fields = ["alert", "endpoint", "status", "channel", "event_type"]


@extend_schema_view(
    list=extend_schema(
        summary="List alert deliveries",
        description="Every email, Slack and webhook delivery, newest first, with its attempts.",
        tags=DELIVERY_TAGS,
    ),
    retrieve=extend_schema(summary="One alert delivery", tags=DELIVERY_TAGS),
)
class AlertDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, NativeViewSet):
    queryset = AlertDelivery.objects.all()
    serializer_class = AlertDeliverySerializer
    filterset_class = AlertDeliveryFilter
    pagination_class = DeliveryPagination

    def scoped_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.prefetch_related("attempt_log")
