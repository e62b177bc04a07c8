"""Dashboard pages of accounts and teams. Every organization page goes through
`tokentracker.pages.organization_page`; the views only parse forms, call services and
render."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tokentracker.forms import LoginForm, SignUpForm, TimeZoneForm
from tokentracker.selectors import user_time_zone
from tokentracker.services.profiles import profile_time_zone_set
from tokentracker.services.teams import user_sign_up
from tokentracker.throttle import client_ip, throttle_hit, too_many_attempts

# Sessions are created by `login`, so the backend must be named when more than one exists.
AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"


class LoginPage(auth_views.LoginView):
    """Django's login, throttled, and without its "Redirection loop" 500.

    Per IP every attempt counts (password spraying across accounts). Failed attempts per
    account and address are django-axes' (its backend refuses a locked pair, its middleware
    answers with `login_locked_out`), so guessing from one address never locks the owner
    out of their account from theirs.
    """

    template_name = "tokentracker/accounts/login.html"

    def get_redirect_url(self) -> str:
        # `next` pointing back at this page (`?next=/accounts/login`) would send a signed-in
        # person here forever; Django raises ValueError for it. Go to LOGIN_REDIRECT_URL.
        url = super().get_redirect_url()
        if url and url.split("?", 1)[0].split("#", 1)[0] == self.request.path:
            return ""
        return url

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        usage = throttle_hit(
            "login-ip", client_ip(request), settings.LOGIN_ATTEMPTS_PER_HOUR_PER_IP
        )
        if usage is not None:
            context = self.get_context_data(form=self.get_form())
            return too_many_attempts(request, self.template_name, context, usage.retry_after)
        return super().post(request, *args, **kwargs)


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): the log-in page again, 429.

    Every attempt during the lockout restarts the cool-off (axes' default), so the whole
    cool-off is the honest Retry-After.
    """
    retry_after = int(settings.AXES_COOLOFF_TIME.total_seconds())
    context = {"form": LoginForm(request), "next": request.POST.get("next", "")}
    return too_many_attempts(request, LoginPage.template_name, context, retry_after)


class PasswordResetPage(auth_views.PasswordResetView):
    """Django's password reset, throttled per IP (429) and per address.

    Over the per-address limit no email is sent, but the page answers exactly as when one
    is, so the throttle cannot tell anyone whether the address has an account, and nobody
    can flood a mailbox with reset links.
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        usage = throttle_hit(
            "reset-ip", client_ip(request), settings.PASSWORD_RESETS_PER_HOUR_PER_IP
        )
        if usage is not None:
            context = self.get_context_data(form=self.get_form())
            return too_many_attempts(request, self.template_name, context, usage.retry_after)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        address = form.cleaned_data["email"]
        if throttle_hit("reset-address", address, settings.PASSWORD_RESETS_PER_HOUR_PER_ADDRESS):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if not settings.SIGNUP_ENABLED:
        raise Http404("Sign-up is turned off on this server.")
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    template = "tokentracker/accounts/sign_up.html"
    if request.method == "POST":
        # Also bounds how fast anyone can ask "does this address have an account?".
        usage = throttle_hit("signup-ip", client_ip(request), settings.SIGN_UPS_PER_HOUR_PER_IP)
        if usage is not None:
            return too_many_attempts(request, template, {"form": form}, usage.retry_after)
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
    return render(request, template, {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The person's own settings: for now the time zone of their dashboard pages."""
    if request.method == "POST":
        form = TimeZoneForm(request.POST)
        if form.is_valid():
            profile_time_zone_set(user=request.user, time_zone=form.cleaned_data["time_zone"])
            messages.success(
                request, f"Your pages now count days in {form.cleaned_data['time_zone']}."
            )
            return redirect("account")
    else:
        form = TimeZoneForm(initial={"time_zone": user_time_zone(request.user)})
    return render(request, "tokentracker/accounts/account.html", {"form": form})
