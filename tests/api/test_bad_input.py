"""Input that used to be a 500: each is a 4xx in the surface's own envelope, and writes
nothing. One mechanism per kind: the JSON parser (deep nesting, NUL), the exception handler
(bodies over DATA_UPLOAD_MAX_MEMORY_SIZE, unreadable requests), the surfaces' query-string
check (NUL), the cursor paginator and the date parameters."""

import base64

import pytest
from django.test import override_settings

from tokentracker import services
from tokentracker.api.parsers import MAX_DEPTH
from tokentracker.models import Invitation, Role
from usage.models import Eval, UsageEvent

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000
TEN_MB = 10 * 1024 * 1024
GROUP = "6f1c2d3e-4b5a-4c6d-8e7f-901234567890"
EVENT = {"provider": "openai", "model": "gpt-4o", "input_tokens": 10, "output_tokens": 5}


def _eval_body(**fields):
    return {
        "prompt_group_id": GROUP,
        "overall_score": 87.5,
        "scores": {"accuracy": 90},
        "judge_model": "gpt-4o",
        **fields,
    }


def _native_error(response, status, message, details=None):
    assert response.status_code == status, response.content
    assert response.json() == {
        "error": {"code": "VALIDATION_FAILED", "message": message, "details": details or {}}
    }


def _codingvibez_error(response, status, message):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"success", "error", "code", "requestId"}
    assert (body["success"], body["code"], body["error"]) == (False, "VALIDATION_ERROR", message)


@pytest.fixture
def tw_key(org):
    return services.api_key_create(organization=org, name="tokenwise", prefix="tw_api_").raw_key


@pytest.fixture
def admin(client, sign_in, org):
    return sign_in(org, Role.ADMIN)


# JSON nested a thousand deep: RecursionError in json, not a ValueError DRF would catch.


def test_an_eval_nested_a_thousand_deep_is_a_422_and_stores_nothing(api, raw_key):
    response = api.post("/api/v1/evals", '{"scores": ' + DEEP + "}", raw_key)
    _native_error(response, 422, "JSON parse error - the body is nested too deeply.")
    assert Eval.objects.count() == 0


def test_an_invitation_nested_a_thousand_deep_is_a_400_and_sends_nothing(api, admin):
    response = api.post("/api/team/invitations", '{"email": ' + DEEP + "}")
    _codingvibez_error(response, 400, "JSON parse error - the body is nested too deeply.")
    assert Invitation.objects.count() == 0


def test_the_depth_limit_is_ours_and_the_same_on_every_python(api, raw_key):
    # 3.13's json parses 3,000 levels where 3.11's stops short of 1,000: MAX_DEPTH decides.
    deeper = "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2)
    response = api.post("/api/v1/evals", '{"scores": ' + deeper + "}", raw_key)
    _native_error(response, 422, "JSON parse error - the body is nested too deeply.")
    at_the_limit = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    response = api.post("/api/v1/evals", '{"scores": ' + at_the_limit + "}", raw_key)
    # Parsed, then refused by the serializer for what it is: a list, not scores.
    _native_error(
        response,
        422,
        "Validation failed.",
        {
            "prompt_group_id": ["This field is required."],
            "overall_score": ["This field is required."],
            "scores": ['Expected a dictionary of items but got type "list".'],
            "judge_model": ["This field is required."],
        },
    )
    assert Eval.objects.count() == 0


def test_an_invitation_nested_a_thousand_deep_without_a_session_is_still_a_401(api):
    response = api.post("/api/team/invitations", '{"email": ' + DEEP + "}")
    assert response.status_code == 401
    assert response.json()["code"] == "AUTHENTICATION_ERROR"


# NUL characters: PostgreSQL stores none in text or jsonb.


def test_a_nul_in_a_score_name_is_a_422_and_stores_no_eval(api, raw_key):
    response = api.post("/api/v1/evals", _eval_body(scores={"tone\x00": 80}), raw_key)
    _native_error(
        response, 422, "JSON parse error - scores.tone\\u0000 must not contain NUL characters."
    )
    assert Eval.objects.count() == 0


def test_a_nul_in_a_nested_string_of_a_field_the_door_ignores_is_refused_too(api, raw_key):
    response = api.post("/api/v1/evals", _eval_body(extra={"note": ["ok", "no\x00"]}), raw_key)
    _native_error(
        response, 422, "JSON parse error - extra.note[1] must not contain NUL characters."
    )
    assert Eval.objects.count() == 0


def test_the_same_eval_without_the_nul_is_stored(api, raw_key):
    response = api.post("/api/v1/evals", _eval_body(scores={"tone": 80}), raw_key)
    assert response.status_code == 201
    assert Eval.objects.get().scores == {"tone": 80.0}


# Bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (10 MB): Django's RequestDataTooBig, mapped once.


def _too_big() -> bytes:
    return b'{"padding": "' + b"x" * TEN_MB + b'"}'


def test_an_eval_body_over_10_mb_is_a_413(api, raw_key):
    response = api.post("/api/v1/evals", _too_big(), raw_key)
    _native_error(
        response,
        413,
        "Request body is larger than 10485760 bytes.",
        {"max_bytes": TEN_MB},
    )
    assert Eval.objects.count() == 0


def test_an_invitation_body_over_10_mb_is_a_413(api, admin):
    response = api.post("/api/team/invitations", _too_big())
    _codingvibez_error(response, 413, "Request body is larger than 10485760 bytes.")
    assert Invitation.objects.count() == 0


@pytest.mark.parametrize("path", ["/api/v1/track", "/api/v1/estimate"])
def test_a_carbon_llm_body_over_10_mb_is_a_413_in_its_lower_case_dialect(api, raw_key, path):
    # /api/v1/estimate takes no key: the limit holds for anyone.
    response = api.post(path, _too_big(), raw_key if path.endswith("track") else None)
    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "validation_error",
            "message": "Request body is larger than 10485760 bytes.",
            "details": {"max_bytes": TEN_MB},
        }
    }
    assert UsageEvent.objects.count() == 0


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_the_413_names_the_configured_limit(api, raw_key):
    response = api.post("/api/v1/evals", _eval_body(reasoning="x" * 100), raw_key)
    _native_error(response, 413, "Request body is larger than 100 bytes.", {"max_bytes": 100})


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=10)
def test_more_query_parameters_than_django_reads_is_a_400(api, tw_key):
    response = api.get("/api/v1/public/requests", tw_key, **{f"p{n}": "1" for n in range(11)})
    assert response.status_code == 400
    assert response.json() == {"error": "The request cannot be read."}


# Tokenwise's from/to: valid ISO 8601 whose UTC moment is past datetime's range.


@pytest.mark.parametrize(
    "params", [{"from": "9999-12-31T23:59:59-12:00"}, {"to": "0001-01-01T00:00:00+14:00"}]
)
def test_a_date_that_overflows_once_in_utc_is_a_tokenwise_400(api, tw_key, params):
    response = api.get("/api/v1/public/requests", tw_key, **params)
    assert response.status_code == 400
    name = next(iter(params))
    assert response.json() == {
        "error": f"{name}: Value error, date is out of range once converted to UTC"
    }


def test_an_offset_date_in_range_still_filters_in_utc(api, tw_key, record):
    record({**EVENT, "occurred_at": "2026-03-20T10:00:00Z"})
    counted = [
        api.get("/api/v1/public/requests", tw_key, **{"from": moment}).json()["total"]
        for moment in ("2026-03-20T11:30:00+02:00", "2026-03-20T12:30:00+02:00")
    ]
    assert counted == [1, 0]


# Cursors DRF decodes but whose position it hands to the ORM as it is.


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "zzz",  # not base64: DRF's own check
        _cursor("p=notadate"),
        _cursor("r=1&p=x"),
        _cursor("p=9999-12-31T23:59:59-12:00"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/evals"])
def test_a_malformed_cursor_is_a_404_invalid_cursor(api, raw_key, path, cursor):
    response = api.get(path, raw_key, cursor=cursor)
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "NOT_FOUND", "message": "Invalid cursor", "details": {}}
    }


def test_a_cursor_from_a_page_still_pages(api, raw_key, record):
    record(
        {**EVENT, "occurred_at": "2026-03-20T10:00:00Z"},
        {**EVENT, "occurred_at": "2026-03-20T11:00:00Z"},
    )
    first = api.get("/api/v1/events", raw_key, limit=1).json()
    cursor = first["next"].split("cursor=")[1].split("&")[0]
    response = api.get("/api/v1/events", raw_key, limit=1, cursor=cursor.replace("%3D", "="))
    assert response.status_code == 200
    assert [e["occurred_at"] for e in response.json()["results"]] == ["2026-03-20T10:00:00Z"]


# A NUL in a query parameter: one check in every surface, after authentication.


@pytest.mark.parametrize("param", ["model", "provider"])
def test_a_nul_in_a_tokenwise_filter_is_a_400(api, tw_key, param):
    response = api.get("/api/v1/public/requests", tw_key, **{param: "gpt\x00"})
    assert response.status_code == 400
    assert response.json() == {"error": f"{param} must not contain NUL characters."}


@pytest.mark.parametrize(
    "path", ["summary", "by-model", "by-endpoint", "trend"], ids=lambda p: f"metrics/{p}"
)
@pytest.mark.parametrize("param", ["model", "provider"])
def test_a_nul_in_a_token_optimizer_filter_is_a_400(api, raw_key, path, param):
    response = api.get(f"/api/metrics/{path}", raw_key, **{param: "\x00"})
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "INVALID_PARAMETERS",
            "message": f"{param} must not contain NUL characters.",
            "details": {param: "must not contain NUL characters"},
        }
    }


def test_a_nul_in_a_filter_without_a_key_is_still_a_401(api):
    response = api.get("/api/metrics/summary", model="\x00")
    assert response.status_code == 401


def test_a_nul_in_a_filter_with_an_outsiders_key_sees_only_the_outsiders_empty_data(
    api, outsider_key, record
):
    record({**EVENT, "occurred_at": "2026-03-20T10:00:00Z"})
    assert api.get("/api/metrics/summary", outsider_key, model="\x00").status_code == 400
    response = api.get("/api/metrics/summary", outsider_key, start_date="2026-03-01")
    assert response.json()["total_requests"] == 0


def test_a_nul_in_a_parameter_name_is_refused_too(client, raw_key):
    response = client.get("/api/v1/events?mo%00del=x", HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert response.status_code == 422
    assert response.json()["error"]["message"] == ("mo\\u0000del must not contain NUL characters.")
