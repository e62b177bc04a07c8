"""HTTPS (redirect, HSTS) and Content-Security-Policy settings, read at start-up: each test
starts a new interpreter with its own environment, as tests/tokentracker/test_settings.py
does, over an environment cleaned of every variable these settings read."""

import json
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

OURS = (
    "DEBUG",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "ALLOWED_HOSTS",
    "SECURE_",
    "CSP_",
    "SESSION_COOKIE_",
    "CSRF_",
    "TRUST_X_",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_",
)

# README "### Security settings": the production environment it documents, with a real
# random SECRET_KEY and FIELD_ENCRYPTION_KEY in place of its placeholders.
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k9V2mQ7xL4pR8sT1wY6zB3nC5dF0gH2jK7lM9qP4rS6tU8vW1xY3zA5bC7dE9fG0hJ2",
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "tokens.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://tokens.example.com",
    "TRUST_X_FORWARDED_PROTO": "true",
    # Only read, never connected to, by check --deploy (tokentracker.checks).
    "DATABASE_URL": "postgres://tokentracker:secret@127.0.0.1:5432/tokentracker",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_HOST": "smtp.example.com",
}


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for the whole run (Playwright keeps an
    # event loop in the test thread); a deployment never has it, and check --deploy says so.
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(OURS) and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [sys.executable, *args],
        env={**clean, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return _run(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")


def _settings(env: dict[str, str], *names: str) -> dict[str, object]:
    code = (
        "import json, tokentracker.settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))"
    )
    result = _run(env, "-c", code)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


HTTPS = (
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SILENCED_SYSTEM_CHECKS",
)


def test_the_documented_production_environment_passes_check_deploy():
    result = _check_deploy(PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_without_hsts_and_the_https_redirect_check_deploy_warns_w004_and_w008():
    result = _check_deploy(
        {**PRODUCTION, "SECURE_HSTS_SECONDS": "0", "SECURE_SSL_REDIRECT": "false"}
    )
    assert result.returncode == 1
    assert "(security.W004)" in result.stderr
    assert "(security.W008)" in result.stderr
    assert "System check identified 2 issues (0 silenced)." in result.stderr


def test_opting_in_to_preload_passes_check_deploy_with_nothing_silenced():
    env = {**PRODUCTION, "SECURE_HSTS_PRELOAD": "true"}
    assert _settings(env, "SECURE_HSTS_PRELOAD", "SILENCED_SYSTEM_CHECKS") == {
        "SECURE_HSTS_PRELOAD": True,
        "SILENCED_SYSTEM_CHECKS": [],
    }
    result = _check_deploy(env)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_redirects_to_https_and_sends_hsts_for_a_year_by_default():
    assert _settings({}, *HTTPS) == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_REDIRECT_EXEMPT": ["^api/health$", "^api/health/live$", "^metrics$"],
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
        "SILENCED_SYSTEM_CHECKS": ["security.W021"],
    }


def test_debug_serves_plain_http_and_sends_no_hsts():
    values = _settings({"DEBUG": "true"}, "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS")
    assert values == {"SECURE_SSL_REDIRECT": False, "SECURE_HSTS_SECONDS": 0}


def test_each_https_setting_is_read_from_the_environment():
    env = {
        "SECURE_SSL_REDIRECT": "off",
        "SECURE_HSTS_SECONDS": "3600",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "no",
        "SECURE_HSTS_PRELOAD": "yes",
    }
    assert _settings(env, *HTTPS) == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_REDIRECT_EXEMPT": ["^api/health$", "^api/health/live$", "^metrics$"],
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": True,
        "SILENCED_SYSTEM_CHECKS": [],
    }


STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


def test_the_policy_is_enforced_by_default_and_reports_nowhere():
    names = ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
    assert _settings({}, *names) == {
        "CONTENT_SECURITY_POLICY": {"DIRECTIVES": STRICT},
        "CONTENT_SECURITY_POLICY_REPORT_ONLY": None,
    }


def test_report_only_mode_sends_the_same_policy_without_enforcing_it():
    names = ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
    env = {"CSP_REPORT_ONLY": "true", "CSP_REPORT_URI": "https://reports.example.com/csp"}
    assert _settings(env, *names) == {
        "CONTENT_SECURITY_POLICY": None,
        "CONTENT_SECURITY_POLICY_REPORT_ONLY": {
            "DIRECTIVES": {**STRICT, "report-uri": ["https://reports.example.com/csp"]}
        },
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECURE_HSTS_SECONDS": "-1"}, "SECURE_HSTS_SECONDS must be at least 0, got -1"),
        ({"SECURE_HSTS_SECONDS": "a year"}, "SECURE_HSTS_SECONDS must be an integer"),
        ({"SECURE_SSL_REDIRECT": "maybe"}, "SECURE_SSL_REDIRECT must be a boolean"),
        ({"SECURE_HSTS_PRELOAD": "later"}, "SECURE_HSTS_PRELOAD must be a boolean"),
        ({"CSP_REPORT_ONLY": "perhaps"}, "CSP_REPORT_ONLY must be a boolean"),
        ({"CSP_REPORT_URI": "csp-reports"}, "CSP_REPORT_URI must be an absolute URL or a /path"),
        (
            {"CSP_REPORT_URI": "/csp; script-src *"},
            "CSP_REPORT_URI must be an absolute URL or a /path, got '/csp; script-src *'",
        ),
    ],
)
def test_bad_https_and_policy_settings_stop_start_up(env, message):
    result = _run(env, "-c", "import tokentracker.settings")
    assert result.returncode != 0
    assert message in result.stderr
