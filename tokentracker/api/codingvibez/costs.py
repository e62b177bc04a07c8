"""CodingVibez `POST /api/costs/manual`: a cost entered by hand for a service and month.

The body is translated to `billing.services.manual_costs.manual_cost_create`, the one
write every door uses. `service` is one of the 13 services, matched case-insensitively
("OpenAI"); another is a VALIDATION_ERROR (400), not a 404. `currency` is optional and
defaults to the organization's reporting currency.
"""

from decimal import Decimal

from drf_spectacular.utils import OpenApiExample, extend_schema
from pydantic import BaseModel, Field
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import ManualCost, Service
from billing.services.manual_costs import ManualCostInvalid, manual_cost_create
from tokentracker.api.base import CodingVibezView
from tokentracker.api.parsers import JSONParser

from .params import invalid
from .schemas import enveloped, errors
from .values import iso, money, money_or_none

TAGS = ["codingvibez"]


class CodingVibezManualCostBody(BaseModel):
    service: str = Field(description=f"One of {', '.join(Service.values)} (any case).")
    amount: float = Field(ge=0, examples=[50.0])
    month: int = Field(ge=1, le=12)
    year: int = Field(ge=2000, le=2100)
    currency: str | None = Field(
        default=None, description="ISO 4217; default: the organization's reporting currency."
    )
    category: str | None = Field(default=None, max_length=100)
    description: str | None = Field(default=None, max_length=500)


class CodingVibezManualCost(BaseModel):
    id: str
    service: str
    amount: float
    currency: str
    convertedAmount: float | None = Field(
        description="In `reportingCurrency`; null when no exchange rate is known (unconverted)."
    )
    reportingCurrency: str
    month: int
    year: int
    category: str
    description: str
    createdAt: str


def manual_cost_data(cost: ManualCost) -> dict:
    return CodingVibezManualCost(
        id=str(cost.pk),
        service=cost.service,
        amount=money(Decimal(cost.amount)),
        currency=cost.currency,
        convertedAmount=money_or_none(cost.converted_amount),
        reportingCurrency=cost.converted_currency,
        month=cost.month,
        year=cost.year,
        category=cost.category,
        description=cost.description,
        createdAt=iso(cost.created_at),
    ).model_dump()


class ManualCostView(CodingVibezView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="codingvibez_costs_manual",
        summary="Add a manual cost (CodingVibez)",
        description=(
            "A cost for one service and calendar month, in any ISO 4217 currency: converted "
            "to the organization's reporting currency at the rate of the month's last day "
            "(today's for the current month); `convertedAmount` is null when no rate is "
            "known, and the cost is then shown apart as unconverted."
        ),
        request=CodingVibezManualCostBody,
        examples=[
            OpenApiExample(
                "Monthly subscription",
                value={
                    "service": "OpenAI",
                    "amount": 50.00,
                    "month": 1,
                    "year": 2026,
                    "category": "API Calls",
                    "description": "Monthly subscription",
                },
                request_only=True,
            )
        ],
        responses={200: enveloped(CodingVibezManualCost), **errors(400, 401, 403)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        body = request.data if isinstance(request.data, dict) else {}
        user = request.user if self.api_key is None else None
        try:
            cost = manual_cost_create(
                organization_id=self.organization_id,
                service=body.get("service"),
                amount=body.get("amount"),
                month=body.get("month"),
                year=body.get("year"),
                currency=body.get("currency"),
                category=body.get("category"),
                description=body.get("description"),
                created_by_id=user.pk if user is not None and user.is_authenticated else None,
            )
        except ManualCostInvalid as error:
            raise invalid(error.field, error.message) from None
        # The seed lists 200 as its only success status (no 201).
        return self.envelope(manual_cost_data(cost))
