"""The Costs page: every service's spend by month (API usage and manual costs), the change
against last month, the month's reconciliation of each synced provider's bill against our
events, the manual costs (members add, edit and delete them; viewers read), and the cheaper
models `/api/recommendations` finds for the last 30 days' usage."""

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from billing.forms import ManualCostForm
from billing.models import ManualCost
from billing.selectors.costs import Month, costs_by_month
from billing.selectors.expenses import expense_drafts_count, expense_totals
from billing.selectors.manual_costs import manual_cost_of_organization, manual_costs_of_organization
from billing.selectors.reconciliation import reconciliation
from billing.services.manual_costs import (
    ManualCostInvalid,
    manual_cost_create,
    manual_cost_delete,
    manual_cost_update,
)
from tokentracker.models import Membership, Role
from tokentracker.pages import organization_page
from usage.recommendations import recommendations_for
from usage.selectors.usage import UsageScope

MONTHS_SHOWN = 6
# /api/recommendations' default window (granularity day: the last 30 days).
RECOMMENDATION_WINDOW = timedelta(days=30)
MANUAL_COSTS_PER_PAGE = 50


def _integrations_url(org_slug: str) -> str | None:
    """The Integrations page, where admins connect a provider's admin key; None while no
    such page is installed (it comes with the integrations feature)."""
    try:
        return reverse("integrations", kwargs={"org_slug": org_slug})
    except NoReverseMatch:
        return None


def _described(cost: ManualCost) -> str:
    return f"{cost.get_service_display()}, {Month(cost.year, cost.month).label}"


def _page(
    request: HttpRequest, membership: Membership, form: ManualCostForm, status: int = 200
) -> HttpResponse:
    organization_id = membership.organization_id
    now = timezone.now()
    recent = UsageScope.covering(organization_id, now - RECOMMENDATION_WINDOW, now)
    manual_costs = Paginator(manual_costs_of_organization(organization_id), MANUAL_COSTS_PER_PAGE)
    month = Month.current()
    context = {
        "costs": costs_by_month(organization_id=organization_id, last=month, count=MONTHS_SHOWN),
        # The month's expenses, which the table counts, and the drafts it does not yet.
        "month_expenses": expense_totals(
            organization_id, start=month.first_day, end=month.last_day
        ),
        "expense_drafts": expense_drafts_count(organization_id),
        "expense_month": month,
        "reconciled": reconciliation(
            organization_id=organization_id,
            start=month.first_day,
            end=month.last_day,
            today=now.date(),
        ),
        "integrations_url": _integrations_url(membership.organization.slug),
        "manual_costs": manual_costs.get_page(request.GET.get("page")),
        "may_write": membership.is_at_least(Role.MEMBER),
        "form": form,
        "recommendations": recommendations_for(recent),
        "recommendation_days": RECOMMENDATION_WINDOW.days,
    }
    return render(request, "billing/costs.html", context, status=status)


@organization_page()
def costs_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    current = Month.current()
    form = ManualCostForm(
        initial={
            "currency": membership.organization.reporting_currency,
            "month": current.month,
            "year": current.year,
        }
    )
    return _page(request, membership, form)


@require_POST
@organization_page(role=Role.MEMBER)
def manual_cost_create_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = ManualCostForm(request.POST)
    if form.is_valid():
        try:
            cost = manual_cost_create(
                organization_id=membership.organization_id,
                created_by_id=request.user.pk,
                **form.cleaned_data,
            )
        except ManualCostInvalid as error:
            form.refusal_show(error)
        else:
            messages.success(request, f"Manual cost added: {_described(cost)}.")
            return redirect("costs", org_slug=membership.organization.slug)
    return _page(request, membership, form, status=400)


@organization_page(role=Role.MEMBER)
@require_http_methods(["GET", "POST"])
def manual_cost_edit_page(
    request: HttpRequest, membership: Membership, manual_cost_id: int
) -> HttpResponse:
    cost = manual_cost_of_organization(membership.organization_id, manual_cost_id)
    if cost is None:
        raise Http404("No such manual cost.")
    status = 200
    if request.method == "POST":
        form = ManualCostForm(request.POST)
        if form.is_valid():
            try:
                updated = manual_cost_update(
                    organization_id=membership.organization_id,
                    manual_cost_id=cost.pk,
                    **form.cleaned_data,
                )
            except ManualCostInvalid as error:
                form.refusal_show(error)
            else:
                if updated is None:  # deleted meanwhile
                    raise Http404("No such manual cost.")
                messages.success(request, f"Manual cost saved: {_described(updated)}.")
                return redirect("costs", org_slug=membership.organization.slug)
        status = 400
    else:
        form = ManualCostForm.of(cost)
    return render(
        request, "billing/manual_cost_edit.html", {"form": form, "cost": cost}, status=status
    )


@require_POST
@organization_page(role=Role.MEMBER)
def manual_cost_delete_page(
    request: HttpRequest, membership: Membership, manual_cost_id: int
) -> HttpResponse:
    cost = manual_cost_of_organization(membership.organization_id, manual_cost_id)
    if cost is None:
        raise Http404("No such manual cost.")
    if request.POST.get("confirm") != "yes":
        # Confirmed in the page's <details> (no JavaScript): one stray click deletes nothing.
        messages.error(request, f"Confirm to delete {_described(cost)}: nothing was changed.")
    elif manual_cost_delete(organization_id=membership.organization_id, manual_cost_id=cost.pk):
        messages.success(request, f"Manual cost deleted: {_described(cost)}.")
    return redirect("costs", org_slug=membership.organization.slug)
