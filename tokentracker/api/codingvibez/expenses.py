"""CodingVibez expenses: `GET /api/expenses?startDate&endDate` and `POST /api/expenses`.

The read translates `billing.selectors.expenses`; its totals are the expense part of every
spend reader (`spend_by`), so they match what `/api/costs/*`, budgets and projections
count. The write goes through `billing.services.expenses`, the one write every door uses.

An expense is money spent on one UTC day with one vendor, counted under the vendor's
service when it is one of the 13 ("OpenAI, Inc." is openai), else under `other`. Drafts
(read from a receipt, not yet confirmed) are listed with `status: "draft"` and are not
spend: they are in no total. An amount in another currency is converted to the reporting
currency at the rate of its day; without a rate `convertedAmount` is null and the amount is
in `totals.unconverted`, never counted as 0.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from pydantic import BaseModel, Field
from rest_framework.request import Request
from rest_framework.response import Response

from billing.models import Expense, ExpenseSource, ExpenseStatus, Service
from billing.selectors.expenses import expense_totals, expenses_of_organization
from billing.selectors.spend import OTHER_SERVICE
from billing.services.expenses import ExpenseInvalid
from tokentracker.api.base import CodingVibezView
from tokentracker.api.expenses import expense_create_from
from tokentracker.api.parsers import JSONParser

from . import params
from .params import invalid
from .schemas import enveloped, errors
from .values import iso, money_or_none, unconverted_money

TAGS = ["codingvibez"]
_SERVICE = (
    f"One of the 13 services ({', '.join(Service.values)}) when the vendor is one of them "
    f'("OpenAI, Inc." is openai), else "{OTHER_SERVICE}": where the expense counts in '
    "/api/costs/{provider}."
)


class CodingVibezExpenseBody(BaseModel):
    amount: float = Field(ge=0, examples=[150], description="Tax included.")
    currency: str | None = Field(
        default=None,
        examples=["USD"],
        description="ISO 4217; default: the organization's reporting currency.",
    )
    vendor: str = Field(max_length=200, examples=["OpenAI"])
    date: str = Field(examples=["2026-01-15"], description="The day it was spent, YYYY-MM-DD.")
    category: str | None = Field(default=None, max_length=100, examples=["Software"])
    description: str | None = Field(default=None, max_length=500)
    tax: float | None = Field(
        default=None, ge=0, description="The tax within `amount` (not more than it), if known."
    )


class CodingVibezExpense(BaseModel):
    id: str
    amount: float | None = Field(description="As entered; null only on a draft.")
    currency: str | None = Field(description="ISO 4217, as entered; null only on a draft.")
    convertedAmount: float | None = Field(
        description="In `reportingCurrency` at the rate of `date`; null when no exchange "
        "rate is known (unconverted, counted apart) and on a draft (not spend yet)."
    )
    reportingCurrency: str | None = Field(
        description="The currency of `convertedAmount`; null on a draft."
    )
    vendor: str
    service: str = Field(description=_SERVICE)
    date: str | None = Field(description="YYYY-MM-DD; null only on a draft.")
    category: str
    description: str
    tax: float | None
    source: str = Field(description=f"One of {', '.join(ExpenseSource.values)}.")
    status: str = Field(
        description=f"One of {', '.join(ExpenseStatus.values)}: a draft is not spend until "
        "it is confirmed (PATCH /api/v1/expenses/{id} with confirm, or the Expenses page)."
    )
    receiptId: str | None = Field(description="The receipt it was read from, if any.")
    createdAt: str


class CodingVibezExpenseTotals(BaseModel):
    currency: str = Field(description="The organization's reporting currency (ISO 4217).")
    amount: float | None = Field(
        description="The confirmed expenses of the period in `currency`: the converted "
        "ones. Null when there are expenses and none of them could be converted; 0 with none."
    )
    unconverted: dict[str, float] = Field(
        description="Confirmed expenses with no exchange rate for their day, per original "
        "currency: not in `amount`."
    )
    expenses: int = Field(description="Confirmed expenses in the period.")
    drafts: int = Field(description="Drafts in the period: listed, not in any total.")


class CodingVibezExpensePeriod(BaseModel):
    startDate: str = Field(description="First UTC day listed (YYYY-MM-DD).")
    endDate: str = Field(description="Last UTC day listed, inclusive (YYYY-MM-DD).")


class CodingVibezPagination(BaseModel):
    limit: int
    offset: int
    total: int = Field(description="Expenses in the period, drafts included.")
    hasMore: bool = Field(description="More expenses after this page (offset + limit).")


class CodingVibezExpenses(BaseModel):
    expenses: list[CodingVibezExpense] = Field(description="Latest day first, then latest added.")
    totals: CodingVibezExpenseTotals = Field(description="Over the whole period, every page.")
    period: CodingVibezExpensePeriod
    pagination: CodingVibezPagination


def _expense(expense: Expense) -> CodingVibezExpense:
    receipt = getattr(expense, "receipt", None)  # a reverse one-to-one: absent is an error
    confirmed = expense.status == ExpenseStatus.CONFIRMED
    return CodingVibezExpense(
        id=str(expense.pk),
        amount=money_or_none(expense.amount),
        currency=expense.currency or None,
        convertedAmount=money_or_none(expense.converted_amount) if confirmed else None,
        reportingCurrency=(expense.converted_currency or None) if confirmed else None,
        vendor=expense.vendor,
        service=expense.service or OTHER_SERVICE,
        date=expense.date.isoformat() if expense.date else None,
        category=expense.category,
        description=expense.description,
        tax=money_or_none(expense.tax),
        source=expense.source,
        status=expense.status,
        receiptId=str(receipt.pk) if receipt is not None else None,
        createdAt=iso(expense.created_at),
    )


def _date_param(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, str, description=f"{description} YYYY-MM-DD or ISO 8601.")


class ExpensesView(CodingVibezView):
    parser_classes = [JSONParser]
    viewer_write_refusal = "Viewers cannot add expenses."

    @extend_schema(
        operation_id="codingvibez_expenses_list",
        summary="List expenses (CodingVibez)",
        description=(
            "The organization's expenses of the UTC days from `startDate` to `endDate` (both "
            "included; a datetime counts its whole day), default the last 30 days, today "
            "included. Drafts are listed and counted in `totals.drafts`, never in "
            "`totals.amount`. Paged with `limit` and `offset`."
        ),
        parameters=[
            _date_param("startDate", "First day; default: 29 days before endDate."),
            _date_param("endDate", "Last day, inclusive; default: today (UTC)."),
            OpenApiParameter("limit", int, description=f"1-{params.MAX_PAGE_SIZE}; default 100."),
            OpenApiParameter("offset", int, description="Expenses to skip; default 0."),
        ],
        responses={200: enveloped(CodingVibezExpenses), **errors(400, 401, 403)},
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        start, end = params.days_of(params.recent_window(request))
        page = params.page(request)
        totals = expense_totals(self.organization_id, start=start, end=end)
        listed = expenses_of_organization(self.organization_id, start=start, end=end)
        rows = list(listed[page.offset : page.offset + page.limit])
        body = CodingVibezExpenses(
            expenses=[_expense(expense) for expense in rows],
            totals=CodingVibezExpenseTotals(
                currency=totals.currency,
                amount=money_or_none(totals.priced_amount),
                unconverted=unconverted_money(totals.unconverted),
                expenses=totals.confirmed,
                drafts=totals.drafts,
            ),
            period=CodingVibezExpensePeriod(startDate=start.isoformat(), endDate=end.isoformat()),
            pagination=CodingVibezPagination(
                limit=page.limit,
                offset=page.offset,
                total=totals.count,
                hasMore=page.offset + len(rows) < totals.count,
            ),
        )
        return self.envelope(body.model_dump())

    @extend_schema(
        operation_id="codingvibez_expenses_create",
        summary="Add an expense (CodingVibez)",
        description=(
            "A confirmed expense, counted at once in costs, budgets and projections on its "
            "day, under the vendor's service (or `other`). In any ISO 4217 currency: "
            "converted to the reporting currency at the rate of its day, or kept "
            "unconverted (`convertedAmount` null) until that rate is loaded. Fields not "
            "listed here are ignored. Answers 201 with the expense."
        ),
        request=CodingVibezExpenseBody,
        examples=[
            OpenApiExample(
                "An API invoice",
                value={
                    "amount": 150,
                    "currency": "USD",
                    "vendor": "OpenAI",
                    "date": "2026-01-15",
                    "category": "Software",
                },
                request_only=True,
            )
        ],
        responses={201: enveloped(CodingVibezExpense), **errors(400, 401, 403)},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        try:
            expense = expense_create_from(self)
        except ExpenseInvalid as error:
            raise invalid(error.field, error.message) from None
        return self.envelope(_expense(expense).model_dump(), status=201)
