"""One mechanism, five envelopes: each surface's errors look exactly like its seed."""

import pytest
from rest_framework.test import APIRequestFactory

from tokentracker.api import errors
from tokentracker.api.errors import ApiError, Kind

REQUEST_ID = "req_1"


def body(dialect, error):
    return dialect.body_for(error, request_id=REQUEST_ID)


def test_mytokentracker_nests_code_message_details_and_uses_422_for_validation():
    error = ApiError(Kind.VALIDATION, "Validation failed.", details={"errors": []})
    assert body(errors.MYTOKENTRACKER, error) == {
        "error": {
            "code": "VALIDATION_FAILED",
            "message": "Validation failed.",
            "details": {"errors": []},
        }
    }
    assert errors.MYTOKENTRACKER.status_for(error) == 422


def test_token_optimizer_keeps_its_own_codes_and_400():
    error = ApiError(
        Kind.VALIDATION,
        "Start date must be before end date",
        code="INVALID_DATE_RANGE",
        details={"start_date": "2024-04-01", "end_date": "2024-03-01"},
    )
    assert body(errors.TOKEN_OPTIMIZER, error) == {
        "error": {
            "code": "INVALID_DATE_RANGE",
            "message": "Start date must be before end date",
            "details": {"start_date": "2024-04-01", "end_date": "2024-03-01"},
        }
    }
    assert errors.TOKEN_OPTIMIZER.status_for(error) == 400
    plain = ApiError(Kind.VALIDATION, "bad")
    assert body(errors.TOKEN_OPTIMIZER, plain)["error"]["code"] == "INVALID_PARAMETERS"


def test_carbon_llm_uses_lower_case_codes_and_carries_billing_url():
    error = ApiError(
        Kind.PAYMENT_REQUIRED,
        "Free tier quota exceeded for live key.",
        extra={"billing_url": "/dashboard/billing"},
    )
    assert body(errors.CARBON_LLM, error) == {
        "error": {
            "code": "payment_required",
            "message": "Free tier quota exceeded for live key.",
            "details": {},
            "billing_url": "/dashboard/billing",
        }
    }
    assert errors.CARBON_LLM.status_for(error) == 402
    unavailable = ApiError(Kind.UNAVAILABLE, "Service unavailable")
    assert body(errors.CARBON_LLM, unavailable)["error"]["code"] == "service_unavailable"


def test_tokenwise_is_a_bare_message():
    assert body(errors.TOKENWISE, ApiError(Kind.UNAUTHORIZED, "Unauthorized")) == {
        "error": "Unauthorized"
    }


def test_codingvibez_wraps_in_success_false_with_request_id():
    error = ApiError(Kind.RATE_LIMITED, "Too many requests")
    assert body(errors.CODINGVIBEZ, error) == {
        "success": False,
        "error": "Too many requests",
        "code": "RATE_LIMIT_EXCEEDED",
        "requestId": REQUEST_ID,
    }


@pytest.mark.parametrize(
    ("dialect", "code"),
    [
        (errors.MYTOKENTRACKER, "UNAUTHORIZED"),
        (errors.CARBON_LLM, "unauthorized"),
        (errors.CODINGVIBEZ, "AUTHENTICATION_ERROR"),
    ],
)
def test_the_handler_renders_drf_errors_in_the_views_dialect(dialect, code):
    from rest_framework.exceptions import NotAuthenticated

    class View:
        error_dialect = dialect

    exc = NotAuthenticated("Invalid or missing API token")
    exc.auth_header = 'Bearer realm="api"'
    response = errors.exception_handler(exc, {"view": View()})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    rendered = response.data
    found = (
        rendered["error"]["code"]
        if "error" in rendered and isinstance(rendered["error"], dict)
        else rendered["code"]
    )
    assert found == code


def test_an_unexpected_exception_becomes_a_500_in_the_envelope(caplog):
    class View:
        error_dialect = errors.CODINGVIBEZ

    APIRequestFactory()  # DRF settings loaded
    response = errors.exception_handler(RuntimeError("boom"), {"view": View()})
    assert response.status_code == 500
    assert response.data["code"] == "INTERNAL_ERROR"
    assert "boom" not in str(response.data)
    assert "Unhandled error" in caplog.text


@pytest.mark.parametrize(
    ("dialect", "status", "body_"),
    [
        (
            errors.TOKEN_OPTIMIZER,
            404,
            {"error": {"code": "NOT_FOUND", "message": "No such event.", "details": {"id": "x"}}},
        ),
        (errors.TOKENWISE, 404, {"error": "No such event."}),
        (
            errors.CARBON_LLM,
            404,
            {"error": {"code": "not_found", "message": "No such event.", "details": {"id": "x"}}},
        ),
    ],
)
def test_a_domain_error_is_answered_by_its_kind_in_each_dialect(dialect, status, body_):
    from tokentracker.errors import DomainError

    class Missing(DomainError):
        kind = Kind.NOT_FOUND

    class View:
        error_dialect = dialect

    response = errors.exception_handler(
        Missing("No such event.", details={"id": "x"}), {"view": View()}
    )
    assert response.status_code == status
    assert response.data == body_
