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


def test_health_is_503_when_the_database_does_not_answer(client):
    with mock.patch(
        "tokentracker.api.token_optimizer.health.connection.cursor", side_effect=DatabaseError
    ):
        response = client.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["success"], body["data"]["database"]["healthy"]) == (
        "unhealthy",
        False,
        False,
    )
