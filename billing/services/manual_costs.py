"""Manual costs: validated, converted to the reporting currency, stored."""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from billing.models import ManualCost, Service
from tokentracker.currencies import currency_code
from tokentracker.money import money_book_uncached, money_convert, reporting_currency_of

from . import UNCHANGED

MAX_AMOUNT = Decimal("1e15")


@dataclass(frozen=True)
class ManualCostInvalid(Exception):
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def service_parse(value: object) -> str:
    """One of the 13 services, matched case-insensitively ("OpenAI" -> "openai")."""
    slug = value.strip().lower() if isinstance(value, str) else ""
    if slug not in Service.values:
        raise ManualCostInvalid("service", f"must be one of {', '.join(Service.values)}")
    return slug


def rate_day(*, year: int, month: int, today: date | None = None) -> date:
    """The day whose exchange rate converts a monthly cost: the month's last day, or today
    while the month is not over yet (a future month's rate is not known)."""
    last = date(year, month, calendar.monthrange(year, month)[1])
    today = today or timezone.now().date()
    return min(last, today)


def _amount(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ManualCostInvalid("amount", "must be a number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ManualCostInvalid("amount", "must be a number") from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        raise ManualCostInvalid("amount", "must be a number from 0 up to 10^15")
    return amount.quantize(Decimal("0.000000000001"))


def _whole(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ManualCostInvalid(field, f"must be a whole number from {low} to {high}")
    return value


def _text(field: str, value: object, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise ManualCostInvalid(field, f"must be text of at most {limit} characters")
    return value.strip()


def _currency(value: object, reporting: str) -> str:
    if value is None:
        return reporting
    try:
        return currency_code(value)  # type: ignore[arg-type]
    except ValueError as error:
        raise ManualCostInvalid("currency", str(error)) from None


def manual_cost_create(
    *,
    organization_id: int,
    service: object,
    amount: object,
    month: object,
    year: object,
    currency: object = None,
    category: object = "",
    description: object = "",
    created_by_id: int | None = None,
) -> ManualCost:
    """Validate and store one manual cost; `currency` defaults to the reporting currency.

    Raises `ManualCostInvalid` (naming the field) and stores nothing on bad input.
    """
    slug = service_parse(service)
    value = _amount(amount)
    month_ = _whole("month", month, 1, 12)
    year_ = _whole("year", year, 2000, 2100)
    reporting = reporting_currency_of(organization_id)
    code = _currency(currency, reporting)
    converted = money_convert(
        amount=value, currency=code, to=reporting, on=rate_day(year=year_, month=month_)
    )
    return ManualCost.objects.create(
        organization_id=organization_id,
        service=slug,
        amount=value,
        currency=code,
        converted_amount=converted,
        converted_currency=reporting,
        month=month_,
        year=year_,
        category=_text("category", category, 100),
        description=_text("description", description, 500),
        created_by_id=created_by_id,
    )


def manual_cost_update(
    *,
    organization_id: int,
    manual_cost_id: int,
    service: object = UNCHANGED,
    amount: object = UNCHANGED,
    month: object = UNCHANGED,
    year: object = UNCHANGED,
    currency: object = UNCHANGED,
    category: object = UNCHANGED,
    description: object = UNCHANGED,
) -> ManualCost | None:
    """Change the given fields of one of the organization's manual costs (the others are
    kept); None when it has none by that id. A new amount, currency, month or year converts
    the cost again, at the rate of its (new) month and into today's reporting currency; an
    edit of the text alone keeps the conversion as it was.

    Raises `ManualCostInvalid` (naming the field) and changes nothing on bad input.
    """
    with transaction.atomic():
        cost = (
            ManualCost.objects.select_for_update()
            .filter(organization_id=organization_id, pk=manual_cost_id)
            .first()
        )
        if cost is None:
            return None
        values = {
            "service": cost.service if service is UNCHANGED else service_parse(service),
            "amount": cost.amount if amount is UNCHANGED else _amount(amount),
            "month": cost.month if month is UNCHANGED else _whole("month", month, 1, 12),
            "year": cost.year if year is UNCHANGED else _whole("year", year, 2000, 2100),
            "category": cost.category
            if category is UNCHANGED
            else _text("category", category, 100),
            "description": cost.description
            if description is UNCHANGED
            else _text("description", description, 500),
        }
        reporting = reporting_currency_of(organization_id)
        values["currency"] = (
            cost.currency if currency is UNCHANGED else _currency(currency, reporting)
        )
        money_fields = ("amount", "currency", "month", "year")
        if any(values[name] != getattr(cost, name) for name in money_fields):
            values["converted_amount"] = money_convert(
                amount=values["amount"],
                currency=values["currency"],
                to=reporting,
                on=rate_day(year=values["year"], month=values["month"]),
            )
            values["converted_currency"] = reporting
        changed = [name for name, value in values.items() if value != getattr(cost, name)]
        for name in changed:
            setattr(cost, name, values[name])
        if changed:
            cost.save(update_fields=changed)
        return cost


def manual_cost_delete(*, organization_id: int, manual_cost_id: int) -> bool:
    """Delete one of the organization's manual costs; False when it has none by that id."""
    deleted, _ = ManualCost.objects.filter(
        organization_id=organization_id, pk=manual_cost_id
    ).delete()
    return bool(deleted)


def manual_costs_convert(*, organization_id: int | None = None, waiting_only: bool = True) -> int:
    """Convert manual costs again: those still waiting for a rate (rates were loaded or
    edited), or every cost of one organization (its reporting currency changed). Returns
    how many were converted. Manual costs are typed in by hand, a few a month, so this runs
    inline rather than in batches as usage's reconversion of events does."""
    book = money_book_uncached()  # not a cached copy from before the change
    costs = ManualCost.objects.all()
    if organization_id is not None:
        costs = costs.filter(organization_id=organization_id)
    if waiting_only:
        costs = costs.filter(converted_amount__isnull=True)
    changed = []
    for cost in costs.only("organization_id", "amount", "currency", "month", "year"):
        reporting = book.reporting_currency(cost.organization_id)
        day = rate_day(year=cost.year, month=cost.month)
        cost.converted_amount = book.convert(cost.amount, cost.currency, reporting, day)
        cost.converted_currency = reporting
        changed.append(cost)
    ManualCost.objects.bulk_update(changed, ["converted_amount", "converted_currency"])
    return sum(cost.converted_amount is not None for cost in changed)
