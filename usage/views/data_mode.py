"""The live/test data switch in the top bar of every organization page: a plain POST form,
so it works without JavaScript, back to the page it was used on."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from tokentracker.data_mode import test_data_switch
from tokentracker.models import Membership
from tokentracker.pages import organization_page

DATA_MODES = {"live": False, "test": True}


@require_POST
@organization_page()
def data_mode_set(request: HttpRequest, membership: Membership) -> HttpResponse:
    mode = request.POST.get("data", "")
    if mode not in DATA_MODES:
        return HttpResponseBadRequest(
            "data must be “live” or “test”.", content_type="text/plain; charset=utf-8"
        )
    test_data_switch(request, membership.organization_id, test=DATA_MODES[mode])
    back = request.POST.get("next", "")
    organization_root = reverse("overview", kwargs={"org_slug": membership.organization.slug})
    # Only a page of this same organization: never another site, nor another organization.
    if not (
        url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()})
        and back.startswith(organization_root)
    ):
        back = organization_root
    return redirect(back)
