"""`POST /api/v1/agent-logs`: one session log (multipart `file`) imported as usage events
for the key's organization; the same summary as `import_agent_logs`; a write key needed;
bad input a 4xx in the native envelope that stores nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.usage.agent_log_files import (
    CODEX_SESSION,
    claude_session_lines,
    codex_session_lines,
    jsonl,
)
from tokentracker.models import ApiKeyScope, Plan
from tokentracker.services import api_key_create
from usage.models import UsageEvent

pytestmark = pytest.mark.django_db
AGENT_LOGS = "/api/v1/agent-logs"


def upload(client, data: bytes, key: str | None, name: str = "session.jsonl", **fields):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    body = {"file": SimpleUploadedFile(name, data, content_type="application/x-ndjson")}
    return client.post(AGENT_LOGS, {**body, **fields}, **headers)


def test_a_claude_code_log_is_imported_and_summed_up(client, org, raw_key):
    response = upload(client, jsonl(*claude_session_lines()), raw_key, developer_id="ann")
    assert response.status_code == 201, response.content
    assert response.json() == {
        "format": "claude-code",
        "lines": 9,
        "events": 2,
        "created": 2,
        "duplicates": 0,
        "unpriced": 0,
        "rejected": 0,
        "malformed": 1,
        "total_cost": 0.036192,
        "currency": "USD",
        "problems": [
            {"file": "session.jsonl", "line": 9, "reason": "not JSON (Expecting value, column 33)"}
        ],
    }
    events = UsageEvent.objects.filter(organization=org).order_by("occurred_at")
    assert [
        (e.client_event_id, e.input_tokens, e.cache_read_tokens, e.cache_write_tokens)
        for e in events
    ] == [("claude-code:msg_A", 4, 18000, 1200), ("claude-code:msg_B", 10, 20000, 0)]
    assert {(e.developer_id, e.api_key.prefix) for e in events} == {("ann", "mtt_")}


def test_a_codex_log_is_detected_and_uploading_it_again_stores_nothing(client, org, raw_key):
    name = f"rollout-2026-03-03T09-00-00-{CODEX_SESSION}.jsonl"
    first = upload(client, jsonl(*codex_session_lines()), raw_key, name=name)
    again = upload(client, jsonl(*codex_session_lines()), raw_key, name=name)
    assert first.status_code == 201, first.content
    assert (first.json()["format"], first.json()["created"], first.json()["total_cost"]) == (
        "codex",
        2,
        0.023125,
    )
    assert again.status_code == 200
    assert {name: again.json()[name] for name in ("events", "created", "duplicates")} == {
        "events": 2,
        "created": 0,
        "duplicates": 2,
    }
    assert again.json()["total_cost"] == 0
    assert UsageEvent.objects.filter(organization=org).count() == 2


def test_the_format_can_be_named(client, org, raw_key):
    response = upload(client, jsonl(*codex_session_lines()), raw_key, format="codex")
    assert (response.status_code, response.json()["created"]) == (201, 2)


def refused(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert not UsageEvent.objects.exists()
    return response.json()["error"]


def test_a_file_of_neither_agent_is_a_422(client, org, raw_key):
    error = refused(upload(client, b'{"event": "page_view"}\n', raw_key, name="web.jsonl"), 422)
    assert error == {
        "code": "VALIDATION_FAILED",
        "message": "web.jsonl is not a Claude Code or Codex session log (JSON lines)",
        "details": {"file": "web.jsonl", "reason": "unrecognised_log"},
    }


@pytest.mark.parametrize(
    ("fields", "details"),
    [
        ({"format": "cursor"}, {"format": ['"cursor" is not a valid choice.']}),
        (
            {"developer_id": "x" * 201},
            {"developer_id": ["Ensure this field has no more than 200 characters."]},
        ),
        ({"developer_id": "a\x00b"}, {"developer_id": ["Null characters are not allowed."]}),
    ],
)
def test_a_bad_field_is_a_422_naming_it(client, org, raw_key, fields, details):
    response = upload(client, jsonl(*claude_session_lines()), raw_key, **fields)
    assert refused(response, 422)["details"] == details


def test_no_file_is_a_422(client, org, raw_key):
    response = client.post(AGENT_LOGS, {"format": "auto"}, HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert refused(response, 422)["details"] == {"file": ["No file was submitted."]}


def test_a_json_body_is_refused_as_not_multipart(client, org, raw_key):
    response = client.post(
        AGENT_LOGS, "{}", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw_key}"
    )
    assert refused(response, 422)["details"]["reason"] == "not_multipart"


def test_a_file_over_the_limit_is_a_413(client, org, raw_key, settings):
    settings.AGENT_LOG_UPLOAD_MAX_BYTES = 1000
    data = jsonl(*claude_session_lines())
    assert len(data) > 1000
    error = refused(upload(client, data, raw_key), 413)
    assert error["details"]["max_bytes"] == 1000


def test_past_the_daily_quota_nothing_of_the_file_is_stored(client, org, raw_key):
    org.plan = Plan.objects.create(slug="day", name="Day", daily_event_limit=1)
    org.save(update_fields=["plan"])
    error = refused(upload(client, jsonl(*claude_session_lines()), raw_key), 429)
    assert error["code"] == "DAILY_LIMIT_REACHED"


def test_no_key_is_a_401(client, org):
    error = refused(upload(client, jsonl(*claude_session_lines()), None), 401)
    assert error["message"] == "Invalid or missing API token"


def test_a_signed_in_member_without_a_key_is_a_401(member_client, org):
    refused(upload(member_client, jsonl(*claude_session_lines()), None), 401)


def test_a_read_only_key_is_a_403(client, org):
    read_key = api_key_create(organization=org, name="read", scope=ApiKeyScope.READ).raw_key
    error = refused(upload(client, jsonl(*claude_session_lines()), read_key), 403)
    assert error["message"] == "This API key is read-only."


def test_an_outsiders_upload_lands_in_the_outsiders_organization_only(
    client, org, outsider_org, raw_key, outsider_key
):
    upload(client, jsonl(*claude_session_lines()), raw_key)
    response = upload(client, jsonl(*claude_session_lines()), outsider_key)
    # The same messages are new to the outsider: ids are unique per organization only.
    assert (response.status_code, response.json()["created"]) == (201, 2)
    assert UsageEvent.objects.filter(organization=org).count() == 2
    assert UsageEvent.objects.filter(organization=outsider_org).count() == 2
