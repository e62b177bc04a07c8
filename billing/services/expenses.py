"""Expenses: validated, mapped to a service by vendor, converted at the rate of their day,
stored; drafts (read from a receipt) confirmed or corrected."""

import re

from django.db import transaction

from billing.models import Expense, ExpenseSource, ExpenseStatus, Service
from tokentracker.money import money_book_uncached, money_convert, reporting_currency_of

from . import UNCHANGED
from .fields import FieldInvalid, amount_parse, currency_parse, date_parse, text_parse

ExpenseInvalid = FieldInvalid

# Vendor names that mean one of the 13 services, beyond the services' own names and slugs,
# compared without case, spaces or punctuation ("Amazon Web Services, Inc." -> aws).
_VENDOR_ALIASES = {
    "openaiinc": "openai",
    "openaillc": "openai",
    "chatgpt": "openai",
    "anthropicpbc": "anthropic",
    "claude": "anthropic",
    "googlellc": "google",
    "googleai": "google",
    "gemini": "google",
    "amazonwebservices": "aws",
    "amazonwebservicesinc": "aws",
    "awsbedrock": "aws",
    "googlecloudplatform": "gcp",
    "microsoftazure": "azure",
    "azureopenai": "azure",
    "vercelinc": "vercel",
    "anysphere": "cursor",
    "githubinc": "github",
    "githubcopilot": "github",
    "replitinc": "replit",
}


def _squeezed(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


_VENDOR_SERVICES = {
    **{_squeezed(label): value for value, label in Service.choices},
    **{value: value for value in Service.values},
    **_VENDOR_ALIASES,
}


def service_of_vendor(vendor: str) -> str:
    """The service (one of the 13) a vendor name means, or "" when it is none of them."""
    return _VENDOR_SERVICES.get(_squeezed(vendor), "")


def _converted(values: dict, organization_id: int) -> dict:
    """The converted amount of a complete expense, at the rate of its day."""
    reporting = reporting_currency_of(organization_id)
    return {
        "converted_amount": money_convert(
            amount=values["amount"], currency=values["currency"], to=reporting, on=values["date"]
        ),
        "converted_currency": reporting,
    }


def _tax(value: object, amount) -> object:
    if value is None:
        return None
    tax = amount_parse(value, "tax")
    if amount is not None and tax > amount:
        raise FieldInvalid("tax", "cannot be more than the amount")
    return tax


def expense_create(
    *,
    organization_id: int,
    amount: object,
    vendor: object,
    date: object,
    currency: object = None,
    category: object = "",
    description: object = "",
    tax: object = None,
    created_by_id: int | None = None,
) -> Expense:
    """Validate and store one confirmed expense entered by hand; `currency` defaults to the
    organization's reporting currency.

    Raises `ExpenseInvalid` (naming the field) and stores nothing on bad input.
    """
    vendor_ = text_parse("vendor", vendor, 200)
    if not vendor_:
        raise FieldInvalid("vendor", "is required")
    values = {
        "amount": amount_parse(amount),
        "date": date_parse(date),
        "currency": currency_parse(currency, reporting_currency_of(organization_id)),
    }
    return Expense.objects.create(
        organization_id=organization_id,
        status=ExpenseStatus.CONFIRMED,
        source=ExpenseSource.MANUAL,
        vendor=vendor_,
        service=service_of_vendor(vendor_),
        category=text_parse("category", category, 100),
        description=text_parse("description", description, 500),
        tax=_tax(tax, values["amount"]),
        created_by_id=created_by_id,
        **values,
        **_converted(values, organization_id),
    )


def expense_update(
    *,
    organization_id: int,
    expense_id: int,
    amount: object = UNCHANGED,
    currency: object = UNCHANGED,
    vendor: object = UNCHANGED,
    date: object = UNCHANGED,
    category: object = UNCHANGED,
    description: object = UNCHANGED,
    tax: object = UNCHANGED,
    confirm: bool = False,
) -> Expense | None:
    """Change the given fields of one of the organization's expenses (the others are kept);
    None when it has none by that id. `confirm` turns a draft into spend: it then needs an
    amount, a currency and a date. A confirmed expense whose amount, currency or date
    changes is converted again, into today's reporting currency.

    Raises `ExpenseInvalid` (naming the field) and changes nothing on bad input.
    """
    with transaction.atomic():
        expense = (
            Expense.objects.select_for_update()
            .filter(organization_id=organization_id, pk=expense_id)
            .first()
        )
        if expense is None:
            return None
        reporting = reporting_currency_of(organization_id)
        values = {
            "amount": expense.amount if amount is UNCHANGED else amount_parse(amount),
            "currency": expense.currency
            if currency is UNCHANGED
            else currency_parse(currency, reporting),
            "date": expense.date if date is UNCHANGED else date_parse(date),
            "category": expense.category
            if category is UNCHANGED
            else text_parse("category", category, 100),
            "description": expense.description
            if description is UNCHANGED
            else text_parse("description", description, 500),
        }
        if vendor is not UNCHANGED:
            values["vendor"] = text_parse("vendor", vendor, 200)
            values["service"] = service_of_vendor(values["vendor"])
        values["tax"] = expense.tax if tax is UNCHANGED else tax
        values["tax"] = _tax(values["tax"], values["amount"])
        status = ExpenseStatus.CONFIRMED if confirm else expense.status
        if status == ExpenseStatus.CONFIRMED:
            for name in ("amount", "currency", "date"):
                if values[name] in (None, ""):
                    raise FieldInvalid(name, "is required to confirm the expense")
            if not values.get("vendor", expense.vendor):
                raise FieldInvalid("vendor", "is required to confirm the expense")
            values["status"] = status
            money_fields = ("amount", "currency", "date", "status")
            if any(values[name] != getattr(expense, name) for name in money_fields):
                values.update(_converted(values, organization_id))
        changed = [name for name, value in values.items() if value != getattr(expense, name)]
        for name in changed:
            setattr(expense, name, values[name])
        if changed:
            expense.save(update_fields=[*changed, "updated_at"])
        return expense


def expense_delete(*, organization_id: int, expense_id: int) -> bool:
    """Delete one of the organization's expenses, with its receipt and the receipt's file;
    False when it has none by that id."""
    deleted, _ = Expense.objects.filter(organization_id=organization_id, pk=expense_id).delete()
    return bool(deleted)


def expenses_convert(*, organization_id: int | None = None, waiting_only: bool = True) -> int:
    """Convert confirmed expenses again: those still waiting for a rate, or every expense of
    one organization (its reporting currency changed). Returns how many were converted.
    Expenses are entered by hand or from receipts, a few a month, so this runs inline."""
    book = money_book_uncached()
    expenses = Expense.objects.filter(status=ExpenseStatus.CONFIRMED)
    if organization_id is not None:
        expenses = expenses.filter(organization_id=organization_id)
    if waiting_only:
        expenses = expenses.filter(converted_amount__isnull=True)
    changed = []
    for expense in expenses.only("organization_id", "amount", "currency", "date"):
        reporting = book.reporting_currency(expense.organization_id)
        expense.converted_amount = book.convert(
            expense.amount, expense.currency, reporting, expense.date
        )
        expense.converted_currency = reporting
        changed.append(expense)
    Expense.objects.bulk_update(changed, ["converted_amount", "converted_currency"])
    return sum(expense.converted_amount is not None for expense in changed)
