import pytest
from django.core.exceptions import ImproperlyConfigured

from tokentracker.env import envbool, envint


def test_envbool_reads_common_spellings(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert envbool("X_FLAG", False) is True
    monkeypatch.setenv("X_FLAG", "0")
    assert envbool("X_FLAG", True) is False
    monkeypatch.delenv("X_FLAG")
    assert envbool("X_FLAG", True) is True


def test_envbool_fails_loudly_on_nonsense(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG must be a boolean"):
        envbool("X_FLAG", False)


def test_envint_fails_loudly_on_nonsense_and_out_of_range(monkeypatch):
    monkeypatch.setenv("X_INT", "ten")
    with pytest.raises(ImproperlyConfigured, match="must be an integer"):
        envint("X_INT", 1)
    monkeypatch.setenv("X_INT", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        envint("X_INT", 1, minimum=0)
    monkeypatch.setenv("X_INT", "42")
    assert envint("X_INT", 1) == 42


def _settings_in_a_fresh_process(env: dict[str, str], *names: str) -> list[str]:
    """Settings are read once at import: read them in a new interpreter with `env`."""
    import os
    import subprocess
    import sys

    code = "import tokentracker.settings as s; print('|'.join(str(getattr(s, n)) for n in %r))"
    ours = ("EMAIL_", "SIGNUP_", "CSRF_", "SESSION_COOKIE_", "TRUST_X_", "DEBUG")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    result = subprocess.run(
        [sys.executable, "-c", code % (names,)],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split("|")


def test_email_is_printed_to_the_console_until_an_smtp_host_is_set():
    assert _settings_in_a_fresh_process({}, "EMAIL_BACKEND", "SIGNUP_ENABLED") == [
        "django.core.mail.backends.console.EmailBackend",
        "True",
    ]
    assert _settings_in_a_fresh_process(
        {"EMAIL_HOST": "smtp.example.com", "EMAIL_PORT": "465", "SIGNUP_ENABLED": "false"},
        "EMAIL_BACKEND",
        "EMAIL_USE_SSL",
        "EMAIL_USE_TLS",
        "SIGNUP_ENABLED",
    ) == ["django.core.mail.backends.smtp.EmailBackend", "True", "False", "False"]


def test_tls_and_ssl_together_stop_start_up():
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import tokentracker.settings"],
        env={**os.environ, "EMAIL_USE_TLS": "true", "EMAIL_USE_SSL": "true"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true" in result.stderr


def test_the_community_k_cannot_be_set_below_two():
    assert _settings_in_a_fresh_process(
        {"OPENDATA_COMMUNITY_MIN_CONTRIBUTORS": "7"}, "OPENDATA_COMMUNITY_MIN_CONTRIBUTORS"
    ) == ["7"]
    import os
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import tokentracker.settings"],
        env={**os.environ, "OPENDATA_COMMUNITY_MIN_CONTRIBUTORS": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "at least 2" in result.stderr


def test_behind_a_proxy_nothing_is_trusted_and_cookies_are_secure_by_default():
    names = ("CSRF_TRUSTED_ORIGINS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")
    assert _settings_in_a_fresh_process({}, *names, "TRUST_X_FORWARDED_PROTO") == [
        "[]",
        "True",
        "True",
        "False",
    ]
    code = "import tokentracker.settings as s; print(hasattr(s, 'SECURE_PROXY_SSL_HEADER'))"
    assert _start_up({}, code).stdout == "False\n"


def test_debug_serves_cookies_over_plain_http_unless_told_otherwise():
    names = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")
    assert _settings_in_a_fresh_process({"DEBUG": "true"}, *names) == ["False", "False"]
    assert _settings_in_a_fresh_process(
        {"DEBUG": "true", "SESSION_COOKIE_SECURE": "yes"}, *names
    ) == ["True", "False"]
    assert _settings_in_a_fresh_process({"SESSION_COOKIE_SECURE": "false"}, *names) == [
        "False",
        "True",
    ]


def test_a_proxy_setup_reads_origins_and_the_forwarded_proto():
    env = {
        "CSRF_TRUSTED_ORIGINS": "https://tokens.example.com, https://*.example.org:8443",
        "TRUST_X_FORWARDED_PROTO": "1",
    }
    assert _settings_in_a_fresh_process(env, "CSRF_TRUSTED_ORIGINS", "SECURE_PROXY_SSL_HEADER") == [
        "['https://tokens.example.com', 'https://*.example.org:8443']",
        "('HTTP_X_FORWARDED_PROTO', 'https')",
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CSRF_TRUSTED_ORIGINS": "tokens.example.com"}, "CSRF_TRUSTED_ORIGINS entries are"),
        ({"CSRF_TRUSTED_ORIGINS": "https://a.example.com/app"}, "CSRF_TRUSTED_ORIGINS entries"),
        ({"TRUST_X_FORWARDED_PROTO": "maybe"}, "TRUST_X_FORWARDED_PROTO must be a boolean"),
        ({"SESSION_COOKIE_SECURE": "sometimes"}, "SESSION_COOKIE_SECURE must be a boolean"),
        ({"LOGIN_FAILURES_PER_ACCOUNT_AND_IP": "0"}, "must be at least 1, got 0"),
        ({"LOGIN_LOCKOUT_MINUTES": "0"}, "must be at least 1, got 0"),
    ],
)
def test_bad_proxy_and_throttle_settings_stop_start_up(env, message):
    result = _start_up(env)
    assert result.returncode != 0
    assert message in result.stderr


def _start_up(env: dict[str, str], code: str = "import tokentracker.settings"):
    """Run `code` in a new interpreter with `env` over an environment without our settings."""
    import os
    import subprocess
    import sys

    ours = ("CSRF_", "SESSION_COOKIE_", "TRUST_X_", "DEBUG")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    return subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True
    )
