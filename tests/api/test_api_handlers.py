"""Unknown API paths and crashes answer JSON, not Django's HTML pages."""

import json

import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_api_path_is_a_json_not_found(client):
    response = client.get("/api/metrics/nothing-here")
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "NOT_FOUND",
            "message": "No API endpoint at /api/metrics/nothing-here.",
            "details": {"path": "/api/metrics/nothing-here"},
        }
    }


def test_an_unknown_page_stays_html(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_crash_under_api_is_a_json_internal_error(rf):
    from tokentracker.api.handlers import server_error

    response = server_error(rf.get("/api/logs"))
    assert response.status_code == 500
    assert json.loads(response.content)["error"]["code"] == "INTERNAL_ERROR"
