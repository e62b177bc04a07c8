"""Forms of the billing pages: input parsing only; the rules are in `billing.services`."""

import calendar
from typing import Any

from django import forms

from billing.models import ManualCost, Service
from billing.services.manual_costs import ManualCostInvalid
from tokentracker.currencies import currency_choices
from tokentracker.forms import DashboardForm

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
