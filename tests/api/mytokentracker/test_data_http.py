"""Caching validators, conditional GET and CORS on every /api/v1/data* endpoint."""

from datetime import date

import pytest
from django.test import override_settings
from django.utils.http import http_date

from opendata.services import cost_index_refresh

pytestmark = pytest.mark.django_db

PATHS = [
    "/api/v1/data",
    "/api/v1/data/schema",
    "/api/v1/data/cost-index",
    "/api/v1/data/community?format=csv",
    "/api/v1/data/models?provider=openai",
]


@pytest.mark.parametrize("path", PATHS)
def test_a_matching_if_none_match_gets_304_with_the_validators(client, path):
    first = client.get(path)
    assert first.status_code == 200
    assert first["Cache-Control"] == "public, max-age=3600"

    again = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"], HTTP_ORIGIN="https://example.org")

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Last-Modified"] == first["Last-Modified"]
    assert again["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", PATHS)
def test_if_modified_since_the_last_refresh_gets_304(client, path):
    last_modified = client.get(path)["Last-Modified"]

    assert client.get(path, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    stale = http_date(0)
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=stale).status_code == 200


def test_a_refresh_changes_the_etag(client):
    path = "/api/v1/data/cost-index"
    before = client.get(path)["ETag"]

    cost_index_refresh(today=date(2026, 3, 5))

    response = client.get(path, HTTP_IF_NONE_MATCH=before)
    assert response.status_code == 200
    assert response["ETag"] != before


def test_json_and_csv_of_one_dataset_have_different_etags(client):
    path = "/api/v1/data/models?provider=openai"
    assert client.get(path)["ETag"] != client.get(path + "&format=csv")["ETag"]


def test_a_bad_parameter_is_never_a_304_and_carries_no_validators(client):
    etag = client.get("/api/v1/data/models?limit=1")["ETag"]

    response = client.get(
        "/api/v1/data/models?limit=-1", HTTP_IF_NONE_MATCH=etag, HTTP_ORIGIN="https://example.org"
    )

    assert response.status_code == 422
    assert "ETag" not in response
    assert response["Access-Control-Allow-Origin"] == "*"


def test_responses_are_readable_cross_origin(client):
    response = client.get("/api/v1/data/models?limit=1", HTTP_ORIGIN="https://example.org")

    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]


def test_a_cors_preflight_allows_conditional_gets_from_any_origin(client):
    response = client.options(
        "/api/v1/data/cost-index",
        HTTP_ORIGIN="https://example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert "if-none-match" in response["Access-Control-Allow-Headers"]


@override_settings(CORS_ALLOW_ALL_ORIGINS=False, CORS_ALLOWED_ORIGINS=["https://app.example.com"])
def test_open_data_stays_open_when_the_carbon_endpoints_are_restricted(client):
    response = client.get("/api/v1/data/models?limit=1", HTTP_ORIGIN="https://example.org")

    assert response["Access-Control-Allow-Origin"] == "https://example.org"


def test_cors_stays_off_the_authenticated_api(client):
    response = client.get("/api/v1/events", HTTP_ORIGIN="https://example.org")

    assert "Access-Control-Allow-Origin" not in response


def test_writes_are_not_allowed(client):
    response = client.post("/api/v1/data/models", {}, content_type="application/json")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_head_answers_with_the_validators_and_no_body(client):
    get = client.get("/api/v1/data/models?format=csv")

    head = client.head("/api/v1/data/models?format=csv")

    assert head.status_code == 200
    assert head.content == b""
    assert head["ETag"] == get["ETag"]
