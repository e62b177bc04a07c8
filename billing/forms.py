"""Forms of the billing pages: input parsing only; the rules are in `billing.services`."""

import calendar
import re
from decimal import Decimal
from typing import Any

from django import forms

from billing.models import Budget, BudgetScope, ManualCost, Service
from billing.services.budgets import SCOPE_FIELDS
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
            **{field: value if field == own else None for field, value in scope_values.items()},
        }

    @staticmethod
    def field_of(service_field: str) -> str:
        """The form field a service error names."""
        return "api_key" if service_field == "api_key_id" else service_field
