"""What `templates/base.html` needs on every organization page: the navigation, the
organization switcher and the live/test data switch. Empty outside organization pages
(login, sign-up, invitations)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .data_mode import viewing_test_data
from .pages import navigation_links, same_page_in
from .selectors import memberships_of_user


def dashboard(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {"signup_enabled": settings.SIGNUP_ENABLED}
    membership = getattr(request, "membership", None)
    if membership is None:
        return context
    organization = membership.organization

    def switcher() -> list[dict[str, Any]]:
        return [
            {
                "name": other.organization.name,
                "role": other.get_role_display(),
                "url": same_page_in(request, other.organization.slug),
                "current": other.organization_id == organization.id,
            }
            for other in memberships_of_user(request.user)
        ]

    context.update(
        membership=membership,
        organization=organization,
        navigation=navigation_links(request, organization.slug),
        # The test-data switch and banner (tokentracker.data_mode).
        viewing_test_data=viewing_test_data(request, organization.id),
        # Only queried if the template shows the switcher.
        organization_switcher=SimpleLazyObject(switcher),
    )
    return context
