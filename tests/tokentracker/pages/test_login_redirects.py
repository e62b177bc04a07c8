"""Where log in sends a person: `next` when it is safe, LOGIN_REDIRECT_URL otherwise."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_signed_in_person_sent_back_to_the_login_page_lands_home_not_in_a_500(client):
    client.force_login(UserFactory())
    response = client.get("/accounts/login?next=/accounts/login")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_next_of_the_login_page_with_a_query_also_lands_home(client):
    client.force_login(UserFactory())
    assert client.get("/accounts/login", {"next": "/accounts/login?x=1"})["Location"] == "/"


def test_a_safe_next_is_followed(client):
    client.force_login(UserFactory())
    assert client.get("/accounts/login?next=/o/acme/")["Location"] == "/o/acme/"


@pytest.mark.parametrize(
    "target", ["https://evil.com", "//evil.com", "/\\evil.com", "\\\\evil.com", "http:evil.com"]
)
def test_a_next_to_another_site_lands_home_after_logging_in(client, target):
    UserFactory(email="pat@example.com")
    response = client.post(
        "/accounts/login", {"username": "pat@example.com", "password": "pw", "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("target", ["https://evil.com", "//evil.com", "/\\evil.com"])
def test_a_signed_in_person_is_not_sent_to_another_site(client, target):
    client.force_login(UserFactory())
    assert client.get("/accounts/login", {"next": target})["Location"] == "/"
