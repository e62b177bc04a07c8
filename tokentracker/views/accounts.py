from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tokentracker.forms import SignUpForm
from tokentracker.services_teams import user_sign_up

# Sessions are created by `login`, so the backend must be named when more than one exists.
AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if not settings.SIGNUP_ENABLED:
        raise Http404("Sign-up is turned off on this server.")
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user, organization = user_sign_up(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password"],
            name=form.cleaned_data["name"],
            organization_name=form.cleaned_data["organization_name"],
        )
        login(request, user, backend=AUTH_BACKEND)
        messages.success(request, f"Welcome! {organization.name} is ready; you are its owner.")
        return redirect("overview", org_slug=organization.slug)
    return render(request, "tokentracker/accounts/sign_up.html", {"form": form})
