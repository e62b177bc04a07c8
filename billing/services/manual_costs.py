"""Manual costs: validated, converted to the reporting currency, stored."""

import calendar
from datetime import date

from django.db import transaction
from django.utils import timezone

from billing.models import ManualCost
from tokentracker.money import money_book_uncached, money_convert, reporting_currency_of

from . import UNCHANGED
from .fields import (
    FieldInvalid,
    amount_parse,
    currency_parse,
    service_parse,
    text_parse,
    whole_parse,
)

# Kept under its own name for the doors that catch it.
ManualCostInvalid = FieldInvalid


def rate_day(*, year: int, month: int, today: date | None = None) -> date:
    """The day whose exchange rate converts a monthly cost: the month's last day, or today
    while the month is not over yet (a future month's rate is not known)."""
    last = date(year, month, calendar.monthrange(year, month)[1])
    today = today or timezone.now().date()
    return min(last, today)


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
    value = amount_parse(amount)
    month_ = whole_parse("month", month, 1, 12)
    year_ = whole_parse("year", year, 2000, 2100)
    reporting = reporting_currency_of(organization_id)
    code = currency_parse(currency, reporting)
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
        category=text_parse("category", category, 100),
        description=text_parse("description", description, 500),
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
            "amount": cost.amount if amount is UNCHANGED else amount_parse(amount),
            "month": cost.month if month is UNCHANGED else whole_parse("month", month, 1, 12),
            "year": cost.year if year is UNCHANGED else whole_parse("year", year, 2000, 2100),
            "category": cost.category
            if category is UNCHANGED
            else text_parse("category", category, 100),
            "description": cost.description
            if description is UNCHANGED
            else text_parse("description", description, 500),
        }
        reporting = reporting_currency_of(organization_id)
        values["currency"] = (
            cost.currency if currency is UNCHANGED else currency_parse(currency, reporting)
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
