"""An unknown path under a CodingVibez prefix answers in CodingVibez's envelope, never in
another contract's shape or an HTML page; authentication comes first."""

import pytest

from .helpers import error

pytestmark = pytest.mark.django_db

UNKNOWN = [
    "/api/tokens/nope",
    "/api/tokens/",
    "/api/costs/openai/models",
    "/api/costs/",
    "/api/tokens/stats/more",
    "/api/dashboard/nope",
    "/api/projections/next-month",
    "/api/status/nope",
    "/api/team/nope",
    "/api/subscription-status/nope",
    "/api/billing-history/2026",
    "/api/checkout/nope",
    "/api/receipts/ocr/nope",
    "/api/receipts/",
    "/api/expenses/1",
    "/api/sync/nope",
    "/api/syncs",
    "/api/sync-organization-usage/nope",
    "/api/organizations/nope/deeper",
]


@pytest.mark.parametrize("path", UNKNOWN)
def test_a_keyed_get_of_an_unknown_path_is_not_found_in_the_envelope(api, raw_key, path):
    response = api.get(path, raw_key)
    assert error(response, 404, "NOT_FOUND") == f"No endpoint at {path}."
    assert response["Content-Type"] == "application/json"
    assert response.headers["X-RateLimit-Limit"]


@pytest.mark.parametrize("path", ["/api/tokens/nope", "/api/sync/nope", "/api/expenses/1"])
def test_a_keyed_post_to_an_unknown_path_is_not_found_and_writes_nothing(api, raw_key, path):
    from usage.models import UsageEvent

    response = api.post(path, {"provider": "openai", "model": "gpt-4o"}, raw_key)
    assert error(response, 404, "NOT_FOUND") == f"No endpoint at {path}."
    assert not UsageEvent.objects.exists()


@pytest.mark.parametrize("path", ["/api/tokens/nope", "/api/dashboard/nope", "/api/sync-all"])
def test_without_a_key_an_unknown_path_answers_as_a_real_one_does(api, path):
    # Authentication first: a probe without a key cannot tell which paths exist.
    unknown_get = api.get(path)
    real_get = api.get("/api/tokens")
    assert error(unknown_get, 401, "AUTHENTICATION_ERROR") == error(
        real_get, 401, "AUTHENTICATION_ERROR"
    )
    error(api.post(path, {}), 401, "AUTHENTICATION_ERROR")
    error(api.get(path, "mtt_" + "x" * 40), 401, "AUTHENTICATION_ERROR")


def test_another_organizations_key_learns_nothing_more(api, outsider_key):
    error(api.get("/api/team/secret", outsider_key), 404, "NOT_FOUND")


def test_a_signed_in_member_gets_the_envelope_too(member_client):
    error(member_client.get("/api/costs/openai/models"), 404, "NOT_FOUND")


def test_real_paths_are_not_shadowed(api, raw_key):
    assert api.get("/api/tokens", raw_key).status_code == 200
    assert api.get("/api/tracking-health", raw_key).status_code == 200
    assert api.get("/api/costs/openai", raw_key).status_code == 200
    assert api.get("/api/costs/all", raw_key).status_code == 200
    assert api.get("/api/subscription-status", raw_key).status_code == 200
    assert api.get("/api/billing-history", raw_key).status_code == 200
    assert api.get("/api/health").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/public/nope",  # Tokenwise
        "/api/v1/nope",  # native, MyTokenTracker, carbon-llm
        "/api/metrics/nope",  # Token Optimizer
        "/api/nope",  # nobody's
        "/api/tokensmith",  # not under the tokens prefix
    ],
)
def test_other_contracts_unknown_paths_keep_their_own_answer(api, raw_key, path):
    response = api.get(path, raw_key)
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "NOT_FOUND",
            "message": f"No API endpoint at {path}.",
            "details": {"path": path},
        }
    }
    assert "X-RateLimit-Limit" not in response.headers


def test_unknown_paths_stay_out_of_the_openapi_document(api):
    schema = api.client.get("/api/schema/", {"format": "json"}).json()
    assert not any("(?:" in path or "nope" in path for path in schema["paths"])
    assert {path for path in schema["paths"] if "sync" in path} == {
        "/api/sync",
        "/api/sync-organization-usage",
        "/api/v1/integrations/{provider}/sync",
    }
