"""The carbon-llm endpoints answer browser preflights; origins are configurable."""

import pytest
from django.test import override_settings

PATHS = ["/api/v1/estimate", "/api/v1/track", "/api/v1/session/ana/today"]


def preflight(client, path, origin="https://app.example.com"):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )


@pytest.mark.parametrize("path", PATHS)
def test_preflight_allows_the_browser_to_send_a_bearer_key(client, db, path):
    response = preflight(client, path)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert response["Access-Control-Max-Age"] == "86400"


def test_responses_expose_the_event_id_header(client, db):
    response = client.post(
        "/api/v1/estimate",
        '{"model": "gpt-4o", "prompt_tokens": 1, "completion_tokens": 1}',
        content_type="application/json",
        HTTP_ORIGIN="https://app.example.com",
    )
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "X-Event-Id" in response["Access-Control-Expose-Headers"]


@override_settings(
    CORS_ALLOW_ALL_ORIGINS=False, CORS_ALLOWED_ORIGINS=["https://dashboard.example.com"]
)
def test_configured_origins_restrict_who_may_call(client, db):
    allowed = preflight(client, "/api/v1/track", origin="https://dashboard.example.com")
    refused = preflight(client, "/api/v1/track", origin="https://evil.example.com")
    assert allowed["Access-Control-Allow-Origin"] == "https://dashboard.example.com"
    assert "Access-Control-Allow-Origin" not in refused


def test_other_api_paths_send_no_cors_headers(client, db):
    response = preflight(client, "/api/v1/events")
    assert "Access-Control-Allow-Origin" not in response


def test_a_developer_id_with_an_encoded_slash_still_gets_its_preflight(client, db):
    response = preflight(client, "/api/v1/session/team%2Falice/today")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
