"""Assertions on the CodingVibez envelopes, and times written as text."""

from datetime import UTC, datetime


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def data(response, status=200):
    """The `data` of a success envelope, after checking the envelope itself."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is True
    assert set(body) == {"success", "data", "timestamp", "requestId"}
    assert body["requestId"].startswith("req_")
    assert body["timestamp"].endswith("Z")
    return body["data"]


def error(response, status, code):
    """The message of an error envelope, after checking the envelope itself."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"success", "error", "code", "requestId"}
    assert body["success"] is False
    assert body["code"] == code
    return body["error"]
