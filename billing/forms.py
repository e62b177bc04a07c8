"""Forms of the billing pages: input parsing only; the rules are in `billing.services`."""

import calendar
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms

from billing.models import (
    Budget,
    BudgetScope,
    Expense,
    ExpenseSource,
    ExpenseStatus,
    ManualCost,
    Service,
    SyncedProvider,
)
from billing.ocr.uploads import ACCEPTED, CONTENT_TYPES, MAX_BYTES, MAX_PAGES
from billing.services.budgets import SCOPE_FIELDS
from billing.services.fields import FieldInvalid
from billing.services.manual_costs import ManualCostInvalid
from tokentracker.currencies import currency_choices
from tokentracker.forms import DashboardForm
from tokentracker.selectors import api_keys_of_organization

MONTH_CHOICES = [(number, calendar.month_name[number]) for number in range(1, 13)]


class ManualCostForm(DashboardForm):
    service = forms.ChoiceField(choices=Service.choices)
    amount = forms.DecimalField(
        min_value=0,
        # What the service stores: below 10^15, twelve places.
        max_digits=27,
        decimal_places=12,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    currency = forms.ChoiceField(
        choices=currency_choices,
        help_text=(
            "Converted at the rate of the month's last day; without a rate it is shown "
            "apart as unconverted."
        ),
    )
    month = forms.TypedChoiceField(choices=MONTH_CHOICES, coerce=int)
    year = forms.IntegerField(min_value=2000, max_value=2100)
    category = forms.CharField(max_length=100, required=False)
    description = forms.CharField(max_length=500, required=False)

    @classmethod
    def of(cls, cost: ManualCost, **kwargs: Any) -> "ManualCostForm":
        """A form showing `cost` as stored."""
        fields = ("service", "amount", "currency", "month", "year", "category", "description")
        initial = {name: getattr(cost, name) for name in fields}
        # 50, not 50.000000000000 (the stored scale) nor 5E+1 (normalize alone).
        initial["amount"] = f"{cost.amount.normalize():f}"
        return cls(initial=initial, **kwargs)

    def refusal_show(self, error: ManualCostInvalid) -> None:
        """Show the service's refusal beside the field it names."""
        self.add_error(error.field if error.field in self.fields else None, error.message)


THRESHOLDS_HELP = "Percentages of the amount, separated by commas: an alert fires once at each."


class BudgetForm(DashboardForm):
    """A budget as the page posts it. Every scope's field is shown (without JavaScript the
    page cannot hide the others), so only the chosen scope's field is passed on: a value
    left in another one is ignored rather than refused."""

    name = forms.CharField(max_length=100)
    scope = forms.ChoiceField(choices=BudgetScope.choices, label="Counts the spend of")
    service = forms.ChoiceField(
        choices=[("", "—"), *Service.choices],
        required=False,
        help_text="For a service budget: usage of its providers and its manual costs.",
    )
    project = forms.CharField(
        max_length=200, required=False, help_text="For a project budget: the events' project."
    )
    api_key = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        label="API key",
        help_text="For an API key budget: the events sent with it.",
    )
    developer_id = forms.CharField(
        max_length=200,
        required=False,
        label="Developer",
        help_text="For a developer budget: the events' developer id.",
    )
    amount = forms.DecimalField(label="Amount a month")
    thresholds = forms.CharField(
        max_length=200, required=False, initial="50, 80, 100", help_text=THRESHOLDS_HELP
    )
    forecast_alert = forms.BooleanField(
        required=False,
        label="Forecast alert",
        help_text="Also alert once the month is projected to exceed the amount.",
    )
    untracked_alert_percent = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100,
        label="Untracked-spend alert (%)",
        help_text=(
            "Alert once a month when what synced providers (OpenAI, Anthropic) billed beyond "
            "your own events is over this percentage of their bill. Organization and "
            "OpenAI or Anthropic budgets only; empty: off."
        ),
    )

    def __init__(self, *args: Any, organization_id: int, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = f"Amount a month ({currency})"
        self.fields["api_key"].choices = [
            ("", "—"),
            *(
                (key.pk, f"{key.name} ({key.lookup}…){' — revoked' if key.revoked_at else ''}")
                for key in api_keys_of_organization(organization_id)
            ),
        ]

    @classmethod
    def initial_of(cls, budget: Budget) -> dict[str, Any]:
        return {
            "name": budget.name,
            "scope": budget.scope,
            "service": budget.service,
            "project": budget.project,
            "api_key": budget.api_key_id,
            "developer_id": budget.developer_id,
            # 100, not 1E+2 or 100.000000000000; a Decimal, so an untouched amount is
            # not in changed_data.
            "amount": Decimal(f"{budget.amount.normalize():f}"),
            "thresholds": ", ".join(str(threshold) for threshold in budget.thresholds),
            "forecast_alert": budget.forecast_alert,
            "untracked_alert_percent": budget.untracked_alert_percent,
        }

    def clean_thresholds(self) -> list[int]:
        text = self.cleaned_data["thresholds"].strip()
        parts = [part for part in re.split(r"[,\s]+", text) if part] if text else []
        if not all(part.isascii() and part.isdigit() for part in parts):
            raise forms.ValidationError("Whole percentages separated by commas, like 50, 80, 100.")
        return [int(part) for part in parts]

    def budget_fields(self) -> dict[str, Any]:
        """The cleaned data as the budget services take it."""
        data = self.cleaned_data
        own = SCOPE_FIELDS[BudgetScope(data["scope"])]
        scope_values = {
            "service": data["service"],
            "project": data["project"],
            "api_key_id": data["api_key"],
            "developer_id": data["developer_id"],
        }
        return {
            "name": data["name"],
            "scope": data["scope"],
            "amount": data["amount"],
            "thresholds": data["thresholds"],
            "forecast_alert": data["forecast_alert"],
            "untracked_alert_percent": data["untracked_alert_percent"],
            **{field: value if field == own else None for field, value in scope_values.items()},
        }

    @staticmethod
    def field_of(service_field: str) -> str:
        """The form field a service error names."""
        return "api_key" if service_field == "api_key_id" else service_field


def _money_field(**kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        min_value=0,
        # What the services store: below 10^15, twelve places.
        max_digits=27,
        decimal_places=12,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        **kwargs,
    )


def _plain_amount(amount: Decimal | None) -> str | None:
    # 50, not 50.000000000000 (the stored scale) nor 5E+1 (normalize alone).
    return None if amount is None else f"{amount.normalize():f}"


class ExpenseForm(DashboardForm):
    """An expense as the add, edit and review pages post it. A draft's fields may be left
    empty (OCR may not have found them); the expense services say what confirming needs."""

    vendor = forms.CharField(max_length=200)
    amount = _money_field(help_text="Tax included.")
    currency = forms.ChoiceField(
        choices=currency_choices,
        help_text=(
            "Converted at the rate of the expense's day; without a rate it is shown apart "
            "as unconverted."
        ),
    )
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    tax = _money_field(required=False, help_text="The part of the amount that is tax, if any.")
    category = forms.CharField(max_length=100, required=False)
    description = forms.CharField(max_length=500, required=False)

    def __init__(self, *args: Any, draft: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if draft:
            for name in ("vendor", "amount", "date"):
                self.fields[name].required = False

    @classmethod
    def initial_of(cls, expense: Expense, currency: str) -> dict[str, Any]:
        """`expense` as stored; a draft with no currency yet shows `currency`."""
        return {
            "vendor": expense.vendor,
            "amount": _plain_amount(expense.amount),
            "currency": expense.currency or currency,
            "date": expense.date,
            "tax": _plain_amount(expense.tax),
            "category": expense.category,
            "description": expense.description,
        }

    def refusal_show(self, error: FieldInvalid) -> None:
        """Show the service's refusal beside the field it names."""
        message = f"{error.message[:1].upper()}{error.message[1:]}."
        self.add_error(error.field if error.field in self.fields else None, message)


class _CaselessChoiceField(forms.ChoiceField):
    """A choice matched without case, as the expense selector matches categories."""

    def valid_value(self, value: Any) -> bool:
        return any(str(value).lower() == str(key).lower() for key, _ in self.choices)


EXPENSE_SERVICE_CHOICES = [("", "Any"), *Service.choices, ("other", "Other (none of these)")]


class ExpenseFilterForm(forms.Form):
    """The Expenses page's filters, read from the query string. A field left out of it
    takes its default: the last `DEFAULT_DAYS` days; a field sent empty filters nothing."""

    DEFAULT_DAYS = 90

    start = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        required=False,
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    status = forms.ChoiceField(choices=[("", "Any"), *ExpenseStatus.choices], required=False)
    source = forms.ChoiceField(choices=[("", "Any"), *ExpenseSource.choices], required=False)
    service = forms.ChoiceField(choices=EXPENSE_SERVICE_CHOICES, required=False)
    category = _CaselessChoiceField(required=False)
    search = forms.CharField(
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
        help_text="In the vendor, category or description.",
    )

    def __init__(self, data: Any, *, categories: list[str], today: date) -> None:
        data = data.copy()
        if "start" not in data:
            data["start"] = self.default_start(today).isoformat()
        super().__init__(data, label_suffix="")
        # One choice per category whatever its case ("Seats" and "seats" are one filter).
        caseless = {category.lower(): category for category in reversed(categories)}
        self.fields["category"].choices = [
            ("", "Any"),
            *((category, category) for category in sorted(caseless.values(), key=str.lower)),
        ]

    @classmethod
    def default_start(cls, today: date) -> date:
        return today - timedelta(days=cls.DEFAULT_DAYS - 1)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "Must be on or after From.")
        return data

    def filters(self, today: date) -> dict[str, Any]:
        """The filters as `expenses_of_organization` takes them; a field in error falls
        back to its default (the page shows the error beside it)."""
        self.is_valid()
        data = self.cleaned_data
        start = data["start"] if "start" in data else self.default_start(today)
        service = data.get("service") or None
        return {
            "start": start,
            "end": data.get("end"),
            "status": data.get("status") or None,
            "source": data.get("source") or None,
            # "other": the expenses of a vendor none of the 13 services is (service "").
            "service": "" if service == "other" else service,
            "category": data.get("category") or None,
            "search": (data.get("search") or "").strip() or None,
        }


class ReceiptUploadForm(DashboardForm):
    file = forms.FileField(
        label="Receipt",
        allow_empty_file=True,  # an empty file is refused by the receipt rules, in their words
        widget=forms.FileInput(attrs={"accept": ",".join(sorted(CONTENT_TYPES))}),
        help_text=(f"{ACCEPTED}, up to {MAX_BYTES // (1024 * 1024)} MB and {MAX_PAGES} pages."),
    )


class AdminKeyForm(DashboardForm):
    """A provider's admin key as the Integrations page posts it. Never rendered back (a
    password input does not show its value again after an error), never autofilled."""

    admin_key = forms.CharField(
        label="Admin key",
        strip=True,  # the service judges the rest, in words that never quote the key
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, provider: str, rotating: bool = False, **kwargs: Any) -> None:
        # Two forms on one page (one per provider): ids apart, the field's name the same.
        kwargs.setdefault("auto_id", f"id_{provider}_%s")
        super().__init__(*args, **kwargs)
        label = f"{SyncedProvider(provider).label} admin key"
        self.fields["admin_key"].label = f"New {label}" if rotating else label
