"""`/api/v1/integrations`: the organization's provider admin API keys (OpenAI, Anthropic):
list, one, connect or rotate (`POST` with the provider, or `PUT` on it), remove, and
`POST /api/v1/integrations/{provider}/sync`.

The key is write-only: no response carries it, only its last four characters. Connecting,
rotating and removing go through `billing.services.integrations`, admins and owners only
(with an API key, the role of the person who created it, as it is now: `NativeViewSet.writer`);
a sync needs a write key or a member (members, admins, owners), as CodingVibez's
`POST /api/sync` and the Integrations page's "Sync now", and counts on the same per-minute
sync budget. Removing keeps the usage and cost buckets synced (the organization's history).
"""

from typing import Any

from django.conf import settings
from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import IntegrationStatus, ProviderIntegration, SyncedProvider, SyncTrigger
from billing.services.integrations import (
    integration_connect,
    integration_remove,
    integrations_sync_now,
)
from tokentracker.api.base import NativeViewSet
from tokentracker.api.ratelimit import RateLimitExceeded
from tokentracker.permissions import HasApiKeyOrMember
from tokentracker.ratelimit import minute_rate_limit_hit

TAGS = ["integrations"]
_KEY_HELP = (
    "The provider's admin key: OpenAI `sk-admin-...` (platform.openai.com → Settings → "
    "Organization → Admin keys), Anthropic `sk-ant-admin...` (console.anthropic.com → "
    "Settings → Admin keys). Write-only: stored encrypted, never returned."
)


class IntegrationSerializer(serializers.ModelSerializer):
    provider = serializers.ChoiceField(choices=SyncedProvider.choices)
    status = serializers.ChoiceField(
        choices=IntegrationStatus.choices,
        help_text="never_synced; ok; partial (`status_message` says what was not synced); "
        "invalid_key (the provider refused the key: rotate it); error.",
    )
    key_last_four = serializers.CharField(help_text="The only part of the key ever shown.")

    class Meta:
        model = ProviderIntegration
        fields = [
            "provider",
            "key_last_four",
            "status",
            "status_message",
            "last_sync_at",
            "last_success_at",
            "usage_synced_until",
            "costs_synced_until",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class IntegrationKeySerializer(serializers.Serializer):
    admin_key = serializers.CharField(write_only=True, help_text=_KEY_HELP)


class IntegrationConnectSerializer(IntegrationKeySerializer):
    provider = serializers.ChoiceField(choices=SyncedProvider.choices, help_text="Any case.")


class IntegrationSyncBodySerializer(serializers.Serializer):
    force = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Read the whole first window again rather than only what is new (a "
        "re-sync replaces the same buckets; nothing counts twice).",
    )


class IntegrationSyncResultSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=SyncedProvider.choices)
    status = serializers.ChoiceField(choices=IntegrationStatus.choices)
    records = serializers.IntegerField(help_text="usage_records + cost_records.")
    usage_records = serializers.IntegerField(help_text="Usage buckets stored (new or corrected).")
    cost_records = serializers.IntegerField(help_text="Cost buckets stored (new or corrected).")
    message = serializers.CharField(help_text="What was synced, or why not.")
    synced_at = serializers.DateTimeField()
    already_running = serializers.BooleanField(
        help_text="Another sync of this integration was running: nothing was done."
    )


ERRORS = {
    401: OpenApiResponse(description="Invalid or missing API token"),
    403: OpenApiResponse(
        description="A read-only key or viewer; for keys, not an admin or owner (a key: its "
        "creator)"
    ),
    404: OpenApiResponse(description="No integration with this provider"),
    422: OpenApiResponse(description="Validation failed; details names the field"),
    429: OpenApiResponse(description="The organization's per-minute sync limit"),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERRORS[code] for code in codes}


@extend_schema_view(
    list=extend_schema(
        summary="List the connected provider integrations",
        description="Each connected provider with its key's last four characters and its "
        "last sync. A provider not listed is not connected.",
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="One provider integration", tags=TAGS),
    destroy=extend_schema(
        summary="Remove a provider integration",
        description="Deletes its admin key and sync runs; the usage and costs it synced stay. "
        "Admins and owners.",
        responses={204: None, **_errors(401, 403, 404)},
        tags=TAGS,
    ),
)
class IntegrationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    NativeViewSet,
):
    queryset = ProviderIntegration.objects.all()
    serializer_class = IntegrationSerializer
    permission_classes = [HasApiKeyOrMember]
    pagination_class = None  # two providers at most
    lookup_field = "provider"
    # Nothing a text column cannot hold (a NUL would fail in PostgreSQL): any other name is
    # a 404 from the router, or a 422 naming the providers on a write.
    lookup_value_regex = "[A-Za-z0-9_-]+"
    http_method_names = ["get", "post", "put", "delete", "head", "options"]
    viewer_write_refusal = "Viewers cannot change integrations or start a sync."
    writes = "provider admin keys"

    def scoped_queryset(self, queryset: Any) -> Any:
        # The ciphertext is never needed to answer.
        return queryset.defer("key_ciphertext").order_by("provider")

    @sensitive_variables("admin_key")
    def _connect(self, provider: object, admin_key: object) -> Response:
        writer = self.writer()
        # Looked up as given: the service judges the role first, then the provider.
        slug = provider.strip().lower() if isinstance(provider, str) else None
        created = slug not in SyncedProvider.values or not (
            self.get_queryset().filter(provider=slug).exists()
        )
        integration = integration_connect(
            actor=writer.membership,
            organization_id=self.organization_id,
            provider=provider,
            admin_key=admin_key,
            created_by_id=writer.user_id,
        )
        return Response(
            self.get_serializer(integration).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Connect a provider, or rotate its key",
        description="Stores the provider's admin key encrypted (a new key for a provider "
        "already connected replaces the old one and resets its status). Admins and owners.",
        request=IntegrationConnectSerializer,
        responses={
            201: IntegrationSerializer,
            200: OpenApiResponse(IntegrationSerializer, description="The key was rotated"),
            **_errors(401, 403, 422),
        },
        tags=TAGS,
    )
    @sensitive_variables("body")
    def create(self, request: Request) -> Response:
        body = request.data if isinstance(request.data, dict) else {}
        return self._connect(body.get("provider"), body.get("admin_key"))

    @extend_schema(
        summary="Connect this provider, or rotate its key",
        description="As POST /api/v1/integrations, with the provider in the path.",
        request=IntegrationKeySerializer,
        responses={
            200: IntegrationSerializer,
            201: OpenApiResponse(IntegrationSerializer, description="Newly connected"),
            **_errors(401, 403, 422),
        },
        tags=TAGS,
    )
    @sensitive_variables("body")
    def update(self, request: Request, provider: str) -> Response:
        body = request.data if isinstance(request.data, dict) else {}
        return self._connect(provider, body.get("admin_key"))

    def perform_destroy(self, instance: ProviderIntegration) -> None:
        writer = self.writer()
        integration_remove(
            actor=writer.membership,
            organization_id=self.organization_id,
            provider=instance.provider,
            removed_by_id=writer.user_id,
        )

    @extend_schema(
        summary="Sync a provider integration now",
        description="Reads the provider's usage and costs through its admin key, in this "
        "request, and says how it went (a refused key or a provider outage is a 200 with "
        "that status). Members and write keys; counted on the organization's per-minute sync "
        "limit, shared with CodingVibez's /api/sync.",
        request=IntegrationSyncBodySerializer,
        responses={200: IntegrationSyncResultSerializer, **_errors(401, 403, 404, 422, 429)},
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, provider: str) -> Response:
        integration = self.get_object()  # 404 unless connected in this organization
        body = request.data if isinstance(request.data, dict) else {}
        force = body.get("force", False)
        if not isinstance(force, bool):
            raise serializers.ValidationError({"force": ["must be true or false"]})
        if settings.RATE_LIMIT_ENABLED:
            usage = minute_rate_limit_hit(self.organization_id, "sync")
            if usage.exceeded:
                raise RateLimitExceeded(usage)
        slug = SyncedProvider(integration.provider)
        result = integrations_sync_now(
            organization_id=self.organization_id,
            providers=[slug],
            trigger=SyncTrigger.API,
            force=force,
        )[slug]
        if result is None:  # removed meanwhile
            raise NotFound()
        data = {
            "provider": result.provider,
            "status": result.status,
            "records": result.records,
            "usage_records": result.usage_records,
            "cost_records": result.cost_records,
            "message": result.message,
            "synced_at": result.synced_at,
            "already_running": result.already_running,
        }
        return Response(IntegrationSyncResultSerializer(data).data)
