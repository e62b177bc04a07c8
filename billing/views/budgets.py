"""The Budgets page: each budget against this month's spend, its projection, its alerts and
their deliveries; admins and owners create, edit and delete budgets.

Every member reads it; the forms are admins' and owners' (`organization_page(role=ADMIN)`:
403 for the others, GET or POST), and the budget services check the role again.
"""

from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from billing.forms import BudgetForm
from billing.models import Budget, BudgetAlert
from billing.selectors.budget_alerts import (
    HISTORY_MONTHS,
    budget_alert_history,
    budget_of_organization,
)
from billing.selectors.budgets import BudgetStatus, budgets_status
from billing.services.budgets import (
    BudgetInvalid,
    BudgetPermissionDenied,
    budget_create,
    budget_delete,
    budget_update,
)
from tokentracker.models import Membership, Role
from tokentracker.pages import organization_page


@dataclass(frozen=True)
class BudgetCard:
    """One budget as the page shows it."""

    status: BudgetStatus
    alerts: list[BudgetAlert]

    @property
    def budget(self) -> Budget:
        return self.status.budget

    @property
    def state(self) -> str:
        """over (spent more than the amount), at-risk (projected to), on-track, or unknown
        (the amount has no rate into the reporting currency today)."""
        status = self.status
        if status.amount is None:
            return "unknown"
        if status.spent > status.amount:
            return "over"
        return "at-risk" if status.will_exceed else "on-track"

    @property
    def over_by(self) -> Decimal | None:
        remaining = self.status.remaining
        return None if remaining is None or remaining >= 0 else -remaining

    @property
    def projected_over_by(self) -> Decimal | None:
        amount, estimate = self.status.amount, self.status.projection.estimate
        return None if amount is None or estimate <= amount else estimate - amount

    @property
    def bar(self) -> Decimal | None:
        """The progress bar's fill, in percent: full once over budget."""
        percent = self.status.percent
        return None if percent is None else min(percent, Decimal(100))

    @property
    def thresholds(self) -> list[tuple[int, bool]]:
        """Each threshold, and whether this month's spend has reached it."""
        return [(threshold, self.status.reached(threshold)) for threshold in self.budget.thresholds]


@organization_page()
def budgets_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    now = timezone.now()
    organization_id = membership.organization_id
    statuses = budgets_status(organization_id, now=now)
    history = budget_alert_history(organization_id, month=now.astimezone(UTC).date())
    cards = [BudgetCard(status, history.get(status.budget.pk, [])) for status in statuses]
    context = {
        "cards": cards,
        "month": now.astimezone(UTC).date().replace(day=1),
        "may_edit": membership.is_at_least(Role.ADMIN),
        "history_months": HISTORY_MONTHS,
    }
    return render(request, "billing/budgets.html", context)


def _form_page(
    request: HttpRequest, form: BudgetForm, budget: Budget | None = None
) -> HttpResponse:
    return render(
        request,
        "billing/budget_form.html",
        {"form": form, "budget": budget},
        status=400 if form.errors else 200,
    )


def _refused(form: BudgetForm, error: BudgetInvalid) -> None:
    message = error.details[error.field][0]
    form.add_error(BudgetForm.field_of(error.field), f"{message[:1].upper()}{message[1:]}.")


@organization_page(role=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def budget_create_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization = membership.organization
    form = BudgetForm(
        request.POST if request.method == "POST" else None,
        organization_id=organization.pk,
        currency=organization.reporting_currency,
    )
    if request.method == "POST" and form.is_valid():
        try:
            budget = budget_create(
                organization_id=organization.pk,
                actor=membership,
                created_by_id=request.user.pk,
                **form.budget_fields(),
            )
        except BudgetPermissionDenied as error:
            raise PermissionDenied(error.message) from error
        except BudgetInvalid as error:
            _refused(form, error)
        else:
            messages.success(request, f"Budget “{budget.name}” created.")
            return redirect("budgets", org_slug=organization.slug)
    return _form_page(request, form)


def _budget_or_404(membership: Membership, budget_id: int) -> Budget:
    budget = budget_of_organization(membership.organization_id, budget_id)
    if budget is None:
        raise Http404("No such budget.")
    return budget


@organization_page(role=Role.ADMIN)
@require_http_methods(["GET", "POST"])
def budget_edit_page(request: HttpRequest, membership: Membership, budget_id: int) -> HttpResponse:
    organization = membership.organization
    budget = _budget_or_404(membership, budget_id)
    form = BudgetForm(
        request.POST if request.method == "POST" else None,
        initial=BudgetForm.initial_of(budget),
        organization_id=organization.pk,
        currency=organization.reporting_currency,
    )
    if budget.currency != organization.reporting_currency:
        form.fields["amount"].help_text = (
            f"Set in {budget.currency}; a new amount is in {organization.reporting_currency}, "
            f"and until then it is converted at each day's rate."
        )
    if request.method == "POST" and form.is_valid():
        fields = form.budget_fields()
        if "amount" not in form.changed_data:
            # Left as it was: it stays in the currency it was set in (budget_update records
            # the current reporting currency with a new amount only).
            del fields["amount"]
        try:
            budget = budget_update(budget=budget, actor=membership, **fields)
        except BudgetPermissionDenied as error:
            raise PermissionDenied(error.message) from error
        except BudgetInvalid as error:
            _refused(form, error)
        else:
            messages.success(request, f"Budget “{budget.name}” saved.")
            return redirect("budgets", org_slug=organization.slug)
    return _form_page(request, form, budget)


@require_POST
@organization_page(role=Role.ADMIN)
def budget_delete_page(
    request: HttpRequest, membership: Membership, budget_id: int
) -> HttpResponse:
    budget = _budget_or_404(membership, budget_id)
    slug = membership.organization.slug
    if request.POST.get("confirm") != "yes":
        # Confirmed in the page's <details> (no JavaScript): one stray click deletes nothing.
        messages.error(request, f"Confirm to delete “{budget.name}”: nothing was changed.")
        return redirect("budgets", org_slug=slug)
    try:
        budget_delete(budget=budget, actor=membership)
    except BudgetPermissionDenied as error:
        raise PermissionDenied(error.message) from error
    messages.success(request, f"Budget “{budget.name}” and its alerts were deleted.")
    return redirect("budgets", org_slug=slug)
