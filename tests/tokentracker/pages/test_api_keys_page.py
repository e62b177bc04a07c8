"""API keys page: the raw key is shown once; members manage their own keys, admins all."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker import keys
from tokentracker.models import ApiKey, ApiKeyMode, ApiKeyScope, Role
from tokentracker.services import api_key_create
from tokentracker.views.api_keys import NEW_KEY_SESSION_KEY

pytestmark = pytest.mark.django_db

CONFIRM = {"confirm": "yes"}


@pytest.fixture
def someone_elses_key(org):
    creator = MembershipFactory(organization=org, role=Role.MEMBER).user
    return api_key_create(organization=org, name="theirs", created_by=creator).api_key


@pytest.mark.parametrize("role", [Role.OWNER, Role.VIEWER])
def test_members_see_the_keys_without_secrets(client, sign_in, org, someone_elses_key, role):
    sign_in(org, role)
    response = client.get("/o/acme/keys/")
    assert response.status_code == 200
    content = response.content.decode()
    assert someone_elses_key.lookup in content
    assert someone_elses_key.digest not in content
    assert ("Create key" in content) is (role == Role.OWNER)


def test_an_outsider_gets_404(client, sign_in, org, outsider_org, someone_elses_key):
    sign_in(outsider_org, Role.OWNER)
    assert client.get("/o/acme/keys/").status_code == 404
    assert client.post(f"/o/acme/keys/{someone_elses_key.pk}/revoke").status_code == 404
    assert client.post(f"/o/outsider/keys/{someone_elses_key.pk}/revoke").status_code == 404
    someone_elses_key.refresh_from_db()
    assert someone_elses_key.revoked_at is None


def test_an_anonymous_visitor_is_sent_to_log_in(client, org):
    assert client.get("/o/acme/keys/")["Location"] == "/accounts/login?next=/o/acme/keys/"


@pytest.mark.parametrize(
    ("prefix", "mode"),
    [
        ("mtt_", ApiKeyMode.LIVE),
        ("tw_api_", ApiKeyMode.LIVE),
        ("isv_test_sk_", ApiKeyMode.TEST),
        ("isv_live_sk_", ApiKeyMode.LIVE),
    ],
)
def test_a_member_creates_a_key_of_any_family_and_sees_it_once(client, sign_in, org, prefix, mode):
    user = sign_in(org, Role.MEMBER)
    created = client.post(
        "/o/acme/keys/new", {"name": "CI", "prefix": prefix, "scope": ApiKeyScope.READ}
    )
    assert created["Location"] == "/o/acme/keys/"
    response = client.get("/o/acme/keys/")
    assert response["Cache-Control"] == "no-store"
    raw_key = response.context["created"]["raw_key"]
    assert raw_key.startswith(prefix)
    assert f'value="{raw_key}"' in response.content.decode()
    api_key = ApiKey.objects.get()
    assert (api_key.name, api_key.prefix, api_key.mode, api_key.scope, api_key.created_by) == (
        "CI",
        prefix,
        mode,
        ApiKeyScope.READ,
        user,
    )
    assert keys.key_matches(raw_key, api_key.digest)
    assert raw_key not in client.get("/o/acme/keys/").content.decode()


def test_the_new_key_works_against_the_api(client, sign_in, org, api):
    sign_in(org, Role.MEMBER)
    client.post("/o/acme/keys/new", {"name": "CI", "prefix": "mtt_", "scope": "write"})
    raw_key = client.get("/o/acme/keys/").context["created"]["raw_key"]
    assert api.get("/api/v1/events", raw_key).status_code == 200


def test_a_viewer_cannot_create_a_key(client, sign_in, org):
    sign_in(org, Role.VIEWER)
    response = client.post("/o/acme/keys/new", {"name": "x", "prefix": "mtt_", "scope": "write"})
    assert response.status_code == 403
    assert not ApiKey.objects.exists()


def test_an_unknown_prefix_is_refused(client, sign_in, org):
    sign_in(org, Role.OWNER)
    response = client.post("/o/acme/keys/new", {"name": "x", "prefix": "sk-", "scope": "write"})
    assert response.status_code == 400
    assert "prefix" in response.context["form"].errors
    assert not ApiKey.objects.exists()


def test_a_member_revokes_their_own_key_but_not_someone_elses(
    client, sign_in, org, someone_elses_key
):
    user = sign_in(org, Role.MEMBER)
    mine = api_key_create(organization=org, name="mine", created_by=user).api_key
    page = client.get("/o/acme/keys/").content.decode()
    assert f"/o/acme/keys/{mine.pk}/revoke" in page
    assert f"/o/acme/keys/{someone_elses_key.pk}/revoke" not in page
    assert client.post(f"/o/acme/keys/{someone_elses_key.pk}/revoke", CONFIRM).status_code == 403
    assert client.post(f"/o/acme/keys/{mine.pk}/revoke", CONFIRM).status_code == 302
    mine.refresh_from_db()
    someone_elses_key.refresh_from_db()
    assert mine.revoked_at is not None
    assert someone_elses_key.revoked_at is None


def test_an_admin_revokes_anyones_key_and_it_stops_working(
    client, sign_in, org, someone_elses_key, api
):
    raw_key = api_key_create(organization=org, name="ci").raw_key
    assert api.get("/api/v1/events", raw_key).status_code == 200
    sign_in(org, Role.ADMIN)
    ci_key = ApiKey.objects.get(name="ci")
    assert client.post(f"/o/acme/keys/{ci_key.pk}/revoke", CONFIRM).status_code == 302
    assert api.get("/api/v1/events", raw_key).status_code == 401


def test_a_viewer_cannot_revoke(client, sign_in, org, someone_elses_key):
    sign_in(org, Role.VIEWER)
    assert client.post(f"/o/acme/keys/{someone_elses_key.pk}/revoke", CONFIRM).status_code == 403


def test_the_key_list_costs_a_fixed_number_of_queries(
    client, sign_in, org, django_assert_num_queries
):
    sign_in(org, Role.OWNER)
    for n in range(6):
        creator = MembershipFactory(organization=org).user
        api_key_create(organization=org, name=f"k{n}", created_by=creator)
    client.get("/o/acme/keys/")
    # session, user, membership, keys with creators, switcher
    with django_assert_num_queries(5):
        assert client.get("/o/acme/keys/").status_code == 200


def test_reloading_after_creating_a_key_shows_no_key_and_creates_no_second_one(
    client, sign_in, org
):
    sign_in(org, Role.MEMBER)
    response = client.post(
        "/o/acme/keys/new", {"name": "CI", "prefix": "mtt_", "scope": "write"}, follow=True
    )
    raw_key = response.context["created"]["raw_key"]
    assert response.redirect_chain == [("/o/acme/keys/", 302)]
    assert raw_key in response.content.decode()
    reloaded = client.get("/o/acme/keys/")
    assert reloaded.context["created"] is None
    assert raw_key not in reloaded.content.decode()
    assert ApiKey.objects.count() == 1


def test_a_new_key_is_not_shown_on_another_organizations_keys_page(client, sign_in, org):
    user = sign_in(org, Role.MEMBER)
    MembershipFactory(user=user, organization=OrganizationFactory(slug="beta"))
    client.post("/o/acme/keys/new", {"name": "CI", "prefix": "mtt_", "scope": "write"})
    assert client.get("/o/beta/keys/").context["created"] is None
    assert client.get("/o/acme/keys/").context["created"] is None  # popped once, gone


def test_the_raw_key_is_never_logged(client, sign_in, org, caplog):
    sign_in(org, Role.MEMBER)
    with caplog.at_level("DEBUG"):
        client.post(
            "/o/acme/keys/new", {"name": "CI", "prefix": "mtt_", "scope": "write"}, follow=True
        )
    lookup = ApiKey.objects.get().lookup  # the raw key's first characters
    assert lookup not in caplog.text


def test_revoking_without_the_confirmation_changes_nothing(client, sign_in, org):
    user = sign_in(org, Role.MEMBER)
    mine = api_key_create(organization=org, name="mine", created_by=user).api_key
    response = client.post(f"/o/acme/keys/{mine.pk}/revoke", follow=True)
    assert "Confirm to revoke mine: nothing was changed." in response.content.decode()
    mine.refresh_from_db()
    assert mine.revoked_at is None


def test_the_revoke_button_asks_for_confirmation_in_the_page(client, sign_in, org):
    user = sign_in(org, Role.MEMBER)
    mine = api_key_create(organization=org, name="mine", created_by=user).api_key
    page = client.get("/o/acme/keys/").content.decode()
    assert '<summary class="button small danger" aria-label="Revoke mine">Revoke</summary>' in page
    assert '<input type="hidden" name="confirm" value="yes">' in page
    assert f'action="/o/acme/keys/{mine.pk}/revoke"' in page


def _create(client):
    return client.post("/o/acme/keys/new", {"name": "CI", "prefix": "mtt_", "scope": "write"})


def test_the_waiting_key_is_encrypted_in_the_session(client, sign_in, org):
    sign_in(org, Role.MEMBER)
    _create(client)
    lookup = ApiKey.objects.get().lookup  # the raw key's first characters
    stored = client.session[NEW_KEY_SESSION_KEY]
    assert set(stored) == {"organization_id", "sealed"}
    assert lookup not in json.dumps(stored)


def test_the_key_is_gone_from_the_session_once_shown(client, sign_in, org):
    sign_in(org, Role.MEMBER)
    _create(client)
    assert client.get("/o/acme/keys/").context["created"]["raw_key"].startswith("mtt_")
    assert NEW_KEY_SESSION_KEY not in client.session


@pytest.mark.parametrize(
    ("waited", "shown"),
    [(timedelta(minutes=4, seconds=59), True), (timedelta(minutes=5, seconds=1), False)],
)
def test_a_key_not_shown_within_five_minutes_is_never_shown(client, sign_in, org, waited, shown):
    sign_in(org, Role.MEMBER)
    _create(client)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + waited):
        response = client.get("/o/acme/keys/")
    assert response.status_code == 200
    assert (response.context["created"] is not None) is shown
    assert ('id="new-key"' in response.content.decode()) is shown
    late = "The key you created was shown only within 5 minutes of creating it."
    assert (late in response.content.decode()) is not shown
    assert NEW_KEY_SESSION_KEY not in client.session


def test_a_tampered_waiting_key_is_not_shown(client, sign_in, org):
    sign_in(org, Role.MEMBER)
    _create(client)
    session = client.session
    session[NEW_KEY_SESSION_KEY] = {**session[NEW_KEY_SESSION_KEY], "sealed": "not-a-token"}
    session.save()
    response = client.get("/o/acme/keys/")
    assert response.status_code == 200
    assert response.context["created"] is None
