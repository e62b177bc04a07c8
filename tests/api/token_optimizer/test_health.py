from unittest import mock

import pytest
from django.db import DatabaseError

pytestmark = pytest.mark.django_db


def test_health_answers_both_seed_shapes_without_a_key(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    # Token Optimizer (seed 001)
    assert body["status"] == "healthy"
    assert body["timestamp"].endswith("Z")
    assert body["version"] == "0.1.0"
    # CodingVibez (seed 004)
    assert body["success"] is True
    assert body["data"]["status"] == "healthy"
    assert body["data"]["database"]["healthy"] is True
    assert body["data"]["services"]["cache"] == {"healthy": True}
    assert body["requestId"].startswith("req_")
    assert response["X-Request-Id"] == body["requestId"]


def test_health_names_the_request_by_the_id_the_caller_sent(client):
    response = client.get("/api/health", HTTP_X_REQUEST_ID="lb-probe-7f3a")
    assert response.json()["requestId"] == "lb-probe-7f3a"
    assert response["X-Request-Id"] == "lb-probe-7f3a"


def test_health_is_503_when_the_database_does_not_answer(client):
    with mock.patch("tokentracker.api.health.connection.cursor", side_effect=DatabaseError):
        response = client.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["success"], body["data"]["database"]["healthy"]) == (
        "unhealthy",
        False,
        False,
    )
