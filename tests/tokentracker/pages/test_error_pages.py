"""403, 404 and 500 pages in the product's layout with a way back; paths under /api/ keep
answering JSON in their envelope (tokentracker/api/handlers.py routes both)."""

import pytest
from django.test import Client

from tokentracker.api.handlers import server_error
from tokentracker.models import Role


def _text(response) -> str:
    return response.content.decode()


@pytest.mark.django_db
def test_an_unknown_page_is_the_products_404_with_a_way_home(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    content = _text(response)
    assert "<title>Page not found · TokenTracker</title>" in content
    assert '<header class="topbar">' in content
    assert "<code>/no-such-page</code>" in content
    assert '<a class="button" href="/">Your organizations</a>' in content


@pytest.mark.django_db
def test_an_outsider_gets_the_same_404_as_for_a_slug_that_does_not_exist(
    client, sign_in, org, outsider_org
):
    sign_in(outsider_org, Role.OWNER)
    response = client.get("/o/acme/explorer/")
    assert response.status_code == 404
    assert "Page not found" in _text(response)
    assert org.name not in _text(response)  # nor does it learn the organization's name


@pytest.mark.django_db
def test_a_viewer_refused_a_change_sees_why_and_a_link_back_to_the_organization(
    client, sign_in, org
):
    sign_in(org, Role.VIEWER)
    response = client.post("/o/acme/settings/", {"payload_storage_enabled": "on"})
    assert response.status_code == 403
    content = _text(response)
    assert "<title>Not allowed · TokenTracker</title>" in content
    assert "Only admins and owners change the organization&#x27;s settings." in content
    assert f'<a class="button" href="/o/acme/">Back to {org.name}</a>' in content
    assert f'<nav class="sidenav" aria-label="{org.name}">' in content  # the product's layout


@pytest.mark.django_db
def test_an_unknown_api_path_stays_a_json_404_in_the_api_envelope(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_the_500_page_renders_without_a_database_or_context(rf):
    # No django_db mark: a query while rendering would fail this test.
    response = server_error(rf.get("/o/acme/"))
    assert response.status_code == 500
    content = _text(response)
    assert "<title>Something went wrong · TokenTracker</title>" in content
    assert '<a class="button" href="/">Back to TokenTracker</a>' in content
    assert "/static/" not in content  # standalone: a missing static manifest cannot break it


@pytest.mark.django_db
def test_a_crash_on_a_page_is_the_html_500_and_under_api_the_json_500(sign_in, org, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("usage.views.overview.overview_read", crash)
    monkeypatch.setattr("tokentracker.api.token_optimizer.health.HealthView.get", crash)
    client = Client(raise_request_exception=False)
    client.force_login(sign_in(org, Role.OWNER))
    page = client.get("/o/acme/")
    assert (page.status_code, page["Content-Type"]) == (500, "text/html; charset=utf-8")
    assert "Something went wrong" in _text(page)
    api = client.get("/api/health")
    assert (api.status_code, api["Content-Type"]) == (500, "application/json")
    assert api.json()["error"]["code"] == "INTERNAL_ERROR"
