"""The page an invitation email links to: join, after signing up or in as the invitee."""

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from tokentracker.forms import InvitationSignUpForm
from tokentracker.selectors import (
    invitation_by_token,
    invitation_problem,
    user_by_address,
    user_has_address,
)
from tokentracker.services.invitations import invitation_accept, invitation_sign_up
from tokentracker.services.teams import TeamError

from .accounts import AUTH_BACKEND

TEMPLATE = "tokentracker/invitation_accept.html"


@require_http_methods(["GET", "POST"])
def invitation_accept_page(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_by_token(token)
    problem = invitation_problem(invitation, timezone.now())
    if problem:
        return render(request, TEMPLATE, {"problem": problem}, status=404)
    assert invitation is not None
    context = {"invitation": invitation, "token": token}
    user = request.user
    if user.is_authenticated:
        if not user_has_address(user, invitation.email):
            context["wrong_account"] = True
            return render(request, TEMPLATE, context, status=403)
        if request.method == "POST":
            try:
                membership = invitation_accept(token=token, user=user)
            except TeamError as error:
                return render(request, TEMPLATE, {"problem": str(error)}, status=404)
            return _joined(request, membership.organization.slug, invitation.organization.name)
        return render(request, TEMPLATE, context)
    if user_by_address(invitation.email) is not None:
        # They have an account: sign in, then come back here to accept.
        context["sign_in"] = True
        return render(request, TEMPLATE, context)
    form = InvitationSignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, membership = invitation_sign_up(
                token=token, password=form.cleaned_data["password"], name=form.cleaned_data["name"]
            )
        except TeamError as error:
            return render(request, TEMPLATE, {"problem": str(error)}, status=404)
        login(request, user, backend=AUTH_BACKEND)
        return _joined(request, membership.organization.slug, invitation.organization.name)
    context["form"] = form
    return render(request, TEMPLATE, context, status=400 if form.errors else 200)


def _joined(request: HttpRequest, org_slug: str, name: str) -> HttpResponse:
    messages.success(request, f"Welcome to {name}!")
    return redirect("overview", org_slug=org_slug)
