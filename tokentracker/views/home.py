from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tokentracker.forms import OrganizationForm
from tokentracker.selectors import ACTIVE_ORGANIZATION_SESSION_KEY, membership_active
from tokentracker.services.teams import TeamError, organization_create
from tokentracker.throttle import throttle_hit, too_many_attempts


def home(request: HttpRequest) -> HttpResponse:
    """`/`: the organization the person last worked in (or their first), else a way in."""
    if not request.user.is_authenticated:
        return redirect("login")
    active = membership_active(request.user, request.session.get(ACTIVE_ORGANIZATION_SESSION_KEY))
    if active is None:
        return redirect("organization-create")
    return redirect("overview", org_slug=active.organization_slug)


@login_required
@require_http_methods(["GET", "POST"])
def organization_create_page(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    template = "tokentracker/organization_create.html"
    if request.method == "POST":
        usage = throttle_hit(
            "organization-create", str(request.user.pk), settings.ORGANIZATIONS_PER_HOUR_PER_USER
        )
        if usage is not None:
            return too_many_attempts(request, template, {"form": form}, usage.retry_after)
    if request.method == "POST" and form.is_valid():
        try:
            organization = organization_create(name=form.cleaned_data["name"], owner=request.user)
        except TeamError as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, f"{organization.name} is ready; you are its owner.")
            return redirect("overview", org_slug=organization.slug)
    return render(request, template, {"form": form})
