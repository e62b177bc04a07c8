"""CodingVibez provider sync: `POST /api/sync`, `POST /api/sync-organization-usage` and
`GET /api/status`.

The two POSTs sync the organization's provider integrations (their admin API keys, connected
on the Integrations page or through `/api/v1/integrations`) here, in the request, and answer
how each went as the seed shows: `results: {provider: {status, records}}, syncedAt`, with
`message` beside the status (why a key is invalid, what a partial sync left out). A provider
with no key connected is `not_connected` with 0 records; it is not an error, since
`providers` defaults to both. A sync that fails (an invalid key, the provider down) is
still a 200: the request did what was asked, the result says how the provider answered.

Who may sync: a write key, or a signed-in member (members, admins, owners), as on the
Integrations page's "Sync now"; viewers and read-only keys read `/api/status` only. Both
POSTs count on the plan's sync limit (10 a minute by default: every `/api/sync*` path).
Connecting keys is not part of this contract (the seed has no endpoint for it).
"""

from typing import Any, Literal

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from pydantic import BaseModel, Field
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import IntegrationStatus, SyncedProvider, SyncTrigger
from billing.selectors.integrations import integrations_overview
from billing.services.integrations import (
    IntegrationInvalid,
    integrations_sync_now,
    provider_parse,
)
from tokentracker.api.base import CodingVibezView
from tokentracker.api.parsers import JSONParser
from tokentracker.api.render import iso_or_none

from .params import invalid
from .schemas import enveloped, errors
from .values import iso

TAGS = ["codingvibez"]
NOT_CONNECTED = "not_connected"
RUNNING = "running"
PROVIDERS = ", ".join(SyncedProvider.values)
SyncStatus = Literal["ok", "partial", "invalid_key", "error", "not_connected", "running"]
IntegrationState = Literal["never_synced", "ok", "partial", "invalid_key", "error", "not_connected"]


class CodingVibezSyncBody(BaseModel):
    providers: list[Literal["openai", "anthropic"]] | None = Field(
        default=None, description="Default: both. Any case."
    )
    force: bool = Field(
        default=False,
        description="Sync the provider's whole look-back window again rather than only what "
        "is new (a re-sync replaces the same buckets; nothing is counted twice).",
    )


class CodingVibezSyncServiceBody(BaseModel):
    service: Literal["openai", "anthropic"] = Field(description="Any case.")
    force: bool = Field(default=False, description="As for /api/sync.")


class CodingVibezProviderSync(BaseModel):
    status: SyncStatus = Field(
        description="ok; partial (some of it synced, `message` says what was not); "
        "invalid_key (the provider refused the admin key: rotate it); error (nothing "
        "synced); not_connected (no admin key for this provider); running (another sync "
        "of it was under way: nothing was done, `message` says since when)."
    )
    records: int = Field(description="Usage and cost buckets stored (new or corrected).")
    usageRecords: int
    costRecords: int
    message: str = Field(description="Empty when all went well.")


class CodingVibezSyncResults(BaseModel):
    results: dict[str, CodingVibezProviderSync] = Field(
        description="One entry per provider asked for."
    )
    syncedAt: str = Field(description="When the sync finished (ISO 8601, UTC).")


class CodingVibezIntegration(BaseModel):
    connected: bool = Field(description="An admin key is connected.")
    lastSync: str | None = Field(description="The last sync's end, successful or not.")
    lastSuccess: str | None
    status: IntegrationState = Field(
        description="never_synced, ok, partial, invalid_key, error; not_connected."
    )
    message: str = Field(description="Why a key is invalid or a sync partial; else empty.")


class CodingVibezStatus(BaseModel):
    integrations: dict[str, CodingVibezIntegration] = Field(
        description="Every provider whose admin API TokenTracker syncs: openai, anthropic."
    )


def _object(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise invalid("body", "must be a JSON object")
    return request.data


def _force(body: dict[str, Any]) -> bool:
    force = body.get("force")
    if force is None:
        return False
    if not isinstance(force, bool):
        raise invalid("force", "must be true or false")
    return force


def _provider(field: str, value: object) -> SyncedProvider:
    try:
        return provider_parse(value)
    except IntegrationInvalid:
        raise invalid(field, f"must be one of {PROVIDERS}") from None


def _providers(body: dict[str, Any]) -> list[SyncedProvider] | None:
    # Two fields, checked by hand: the message names the field as this surface words it.
    providers = body.get("providers")
    if providers is None:
        return None
    if not isinstance(providers, list) or not providers:
        raise invalid("providers", f"must be a non-empty list of {PROVIDERS}")
    return list(dict.fromkeys(_provider("providers", value) for value in providers))


class _SyncView(CodingVibezView):
    parser_classes = [JSONParser]
    viewer_write_refusal = "Viewers cannot start a sync: members, admins and owners can."

    def synced(self, providers: list[SyncedProvider] | None, force: bool) -> Response:
        outcomes = integrations_sync_now(
            organization_id=self.organization_id,
            providers=providers,
            trigger=SyncTrigger.API,
            force=force,
        )
        results = {}
        for provider, result in outcomes.items():
            if result is None:
                results[provider.value] = CodingVibezProviderSync(
                    status=NOT_CONNECTED, records=0, usageRecords=0, costRecords=0, message=""
                )
            else:
                results[provider.value] = CodingVibezProviderSync(
                    status=RUNNING if result.already_running else result.status,
                    records=result.records,
                    usageRecords=result.usage_records,
                    costRecords=result.cost_records,
                    message=result.message,
                )
        body = CodingVibezSyncResults(results=results, syncedAt=iso(timezone.now()))
        return self.envelope(body.model_dump())


_EXAMPLE_RESULTS = {
    "results": {
        "openai": {
            "status": "ok",
            "records": 42,
            "usageRecords": 30,
            "costRecords": 12,
            "message": "",
        },
        "anthropic": {
            "status": "not_connected",
            "records": 0,
            "usageRecords": 0,
            "costRecords": 0,
            "message": "",
        },
    },
    "syncedAt": "2026-01-29T12:00:00.000Z",
}


class SyncView(_SyncView):
    @extend_schema(
        operation_id="codingvibez_sync",
        summary="Sync provider admin APIs now (CodingVibez)",
        description=(
            "Fetches the usage and costs OpenAI and Anthropic report for the organization "
            "through the admin keys connected on the Integrations page, in this request, "
            "and answers per provider. Members and write keys; counted on the sync limit."
        ),
        request=CodingVibezSyncBody,
        examples=[
            OpenApiExample(
                "Both providers",
                value={"providers": ["openai", "anthropic"], "force": False},
                request_only=True,
            ),
            OpenApiExample(
                "Results", value={"success": True, "data": _EXAMPLE_RESULTS}, response_only=True
            ),
        ],
        responses={200: enveloped(CodingVibezSyncResults), **errors(400, 401, 403)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        body = _object(request)
        providers = _providers(body)
        return self.synced(providers, _force(body))


class SyncOrganizationUsageView(_SyncView):
    @extend_schema(
        operation_id="codingvibez_sync_organization_usage",
        summary="Sync one provider's organization usage now (CodingVibez)",
        description=(
            "As `POST /api/sync` for one provider (`service`), which needs its admin API "
            "key connected; without one the result is not_connected."
        ),
        request=CodingVibezSyncServiceBody,
        examples=[
            OpenApiExample("OpenAI", value={"service": "openai", "force": False}, request_only=True)
        ],
        responses={200: enveloped(CodingVibezSyncResults), **errors(400, 401, 403)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        body = _object(request)
        if body.get("service") is None:
            raise invalid("service", f"is required: one of {PROVIDERS}")
        provider = _provider("service", body["service"])
        return self.synced([provider], _force(body))


class StatusView(CodingVibezView):
    @extend_schema(
        operation_id="codingvibez_status",
        summary="Provider integrations and their last sync (CodingVibez)",
        description=(
            "For each provider whose admin API TokenTracker syncs: whether an admin key is "
            "connected, when it last synced and how that went. The key itself is never shown."
        ),
        responses={200: enveloped(CodingVibezStatus), **errors(401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        integrations = {}
        for overview in integrations_overview(self.organization_id, runs=0):
            integration = overview.integration
            if integration is None:
                integrations[overview.provider.value] = CodingVibezIntegration(
                    connected=False,
                    lastSync=None,
                    lastSuccess=None,
                    status=NOT_CONNECTED,
                    message="",
                )
                continue
            integrations[overview.provider.value] = CodingVibezIntegration(
                connected=True,
                lastSync=iso_or_none(integration.last_sync_at),
                lastSuccess=iso_or_none(integration.last_success_at),
                status=IntegrationStatus(integration.status).value,
                message=integration.status_message,
            )
        return self.envelope(CodingVibezStatus(integrations=integrations).model_dump())
