"""Live or test data, as the dashboard shows it (Stripe's "Test mode" switch).

Events sent with a test key (`isv_test_sk_`) are recorded with `livemode=False`. Pages show
live data by default; a member may switch an organization to its test data, and the choice
is kept in the session, per organization, so every page and every link between them (the
navigation, breakdown rows, the CSV export) keep it without carrying a parameter, and the
switch works as a plain form without JavaScript. The APIs never read it: they keep
answering for every event, as their contracts say.
"""

from django.http import HttpRequest

SESSION_KEY = "test_data_organizations"


def viewing_test_data(request: HttpRequest, organization_id: int) -> bool:
    """Whether the signed-in person has switched this organization's pages to test data."""
    return organization_id in request.session.get(SESSION_KEY, [])


def page_livemode(request: HttpRequest, organization_id: int) -> bool:
    """The `livemode` a page's usage scope is narrowed to: live unless switched to test."""
    return not viewing_test_data(request, organization_id)


def test_data_switch(request: HttpRequest, organization_id: int, *, test: bool) -> None:
    organizations = [
        other for other in request.session.get(SESSION_KEY, []) if other != organization_id
    ]
    if test:
        organizations.append(organization_id)
    request.session[SESSION_KEY] = organizations
