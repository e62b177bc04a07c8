"""One JSON log line per request, with time, level, request id, organization, method, path,
status and duration; the request id read from X-Request-ID (when safe), echoed in the
response and in CodingVibez's `requestId`, and on every line the request writes."""

import io
import json
import logging
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from tokentracker.logs import JsonLogFormatter

pytestmark = pytest.mark.django_db

EVENT = {"provider": "openai", "model": "gpt-4o", "input_tokens": 1000, "output_tokens": 10}


@pytest.fixture
def log_output():
    """What the console handler of settings.LOGGING writes (stderr), from here on."""
    (handler,) = [
        handler
        for handler in logging.getLogger().handlers
        if isinstance(handler.formatter, JsonLogFormatter)
    ]
    output = io.StringIO()
    stderr = handler.setStream(output)
    yield output
    handler.setStream(stderr)


def json_lines(output: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in output.getvalue().splitlines()]


def request_lines(output: io.StringIO) -> list[dict]:
    return [line for line in json_lines(output) if line["logger"] == "tokentracker.requests"]


def test_a_request_is_one_json_line_with_its_id_status_and_duration(client, log_output):
    response = client.get("/api/health/live", HTTP_X_REQUEST_ID="lb-7f3a.probe:1")
    (line,) = request_lines(log_output)
    assert response["X-Request-Id"] == "lb-7f3a.probe:1"
    duration = line.pop("duration_ms")
    time = line.pop("time")
    assert line == {
        "level": "INFO",
        "logger": "tokentracker.requests",
        "message": "GET /api/health/live 200",
        "method": "GET",
        "path": "/api/health/live",
        "status": 200,
        "request_id": "lb-7f3a.probe:1",
        "organization_id": None,
    }
    assert isinstance(duration, float) and duration >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", time)


def test_an_api_key_request_names_its_organization(api, org, raw_key, log_output):
    response = api.post("/api/v1/events", EVENT, raw_key)
    (line,) = request_lines(log_output)
    assert (line["organization_id"], line["status"], line["method"]) == (org.id, 201, "POST")
    assert line["request_id"] == response["X-Request-Id"]


def test_a_signed_in_members_page_names_the_organization_of_the_page(
    client, org, outsider_org, sign_in, log_output
):
    sign_in(org, "member")
    assert client.get("/o/acme/").status_code == 200
    assert client.get("/o/outsider/").status_code == 404
    assert [(line["path"], line["organization_id"]) for line in request_lines(log_output)] == [
        ("/o/acme/", org.id),
        ("/o/outsider/", None),  # not theirs: no organization is named
    ]


def test_a_members_session_on_the_codingvibez_api_names_their_organization(
    client, org, sign_in, log_output
):
    sign_in(org, "member")
    assert client.get("/api/tracking-health").status_code == 200
    (line,) = request_lines(log_output)
    assert line["organization_id"] == org.id


def test_a_refused_key_names_no_organization(api, log_output):
    assert api.post("/api/v1/events", EVENT, "mtt_not_a_real_key").status_code == 401
    (line,) = request_lines(log_output)
    assert (line["status"], line["organization_id"]) == (401, None)


def test_every_line_of_a_request_carries_its_id(api, raw_key, log_output):
    api.client.post(
        "/api/ingest",
        json.dumps({"type": "tokens", "data": {"model": "gpt-4o", "inputTokens": -1}}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw_key}",
        HTTP_X_REQUEST_ID="client-req-42",
    )
    lines = json_lines(log_output)
    # Our request line, then Django's own warning about the 400 (written after the
    # middleware returned): both name the request.
    assert [(line["logger"], line["request_id"]) for line in lines] == [
        ("tokentracker.requests", "client-req-42"),
        ("django.request", "client-req-42"),
    ]


@pytest.mark.parametrize(
    "sent",
    [
        "x" * 129,  # too long
        "has space",
        "line\nbreak",
        '"quoted"',
        "-starts-with-a-dash",
        "",
    ],
)
def test_an_unsafe_request_id_is_replaced_by_a_new_one(client, log_output, sent):
    response = client.get("/api/health/live", HTTP_X_REQUEST_ID=sent)
    (line,) = request_lines(log_output)
    assert re.fullmatch(r"req_[0-9a-f]{32}", response["X-Request-Id"])
    assert line["request_id"] == response["X-Request-Id"]


def test_without_an_id_each_request_gets_its_own(client):
    first = client.get("/api/health/live")["X-Request-Id"]
    second = client.get("/api/health/live")["X-Request-Id"]
    assert first != second and first.startswith("req_") and second.startswith("req_")


def test_the_query_string_stays_out_of_the_log(api, raw_key, log_output):
    api.get("/api/v1/events", raw_key, model="secret-project-name")
    (line,) = request_lines(log_output)
    assert line["path"] == "/api/v1/events"
    assert "secret-project-name" not in json.dumps(line)


def test_codingvibez_request_id_is_the_request_s_own_id(client, raw_key):
    answered = client.get(
        "/api/tracking-health",
        HTTP_AUTHORIZATION=f"Bearer {raw_key}",
        HTTP_X_REQUEST_ID="cv-abc-1",
    )
    refused = client.get("/api/tracking-health", HTTP_X_REQUEST_ID="cv-abc-2")
    assert (answered.json()["requestId"], answered["X-Request-Id"]) == ("cv-abc-1", "cv-abc-1")
    assert (refused.status_code, refused.json()["requestId"], refused["X-Request-Id"]) == (
        401,
        "cv-abc-2",
        "cv-abc-2",
    )


def test_without_an_id_the_envelope_and_the_header_still_agree(api, raw_key):
    response = api.get("/api/tracking-health", raw_key)
    assert response.json()["requestId"] == response["X-Request-Id"]


# --- the format, chosen at start-up ------------------------------------------------------------


def log_in_a_fresh_process(env: dict[str, str]) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup(); import logging; "
        "logging.getLogger('tokentracker.check').warning('written %s', 'here')"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "LOG_FORMAT")}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "tokentracker.settings", **env},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_production_logs_json_and_debug_logs_readable_text():
    production = log_in_a_fresh_process({})
    line = json.loads(production.stderr.strip().splitlines()[-1])
    assert (line["level"], line["logger"], line["message"]) == (
        "WARNING",
        "tokentracker.check",
        "written here",
    )
    debug = log_in_a_fresh_process({"DEBUG": "true"})
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING \[-\] tokentracker\.check: written here",
        debug.stderr.strip().splitlines()[-1],
    )


def test_log_format_overrides_what_debug_implies():
    text = log_in_a_fresh_process({"LOG_FORMAT": "text"})
    assert text.stderr.strip().endswith("WARNING [-] tokentracker.check: written here")
    debug_json = log_in_a_fresh_process({"DEBUG": "true", "LOG_FORMAT": "json"})
    assert json.loads(debug_json.stderr.strip().splitlines()[-1])["message"] == "written here"


def test_an_unknown_log_format_stops_start_up():
    result = log_in_a_fresh_process({"LOG_FORMAT": "xml"})
    assert result.returncode != 0
    assert "LOG_FORMAT must be json or text, got 'xml'" in result.stderr
