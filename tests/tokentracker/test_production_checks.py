"""What a production start refuses (tokentracker.checks, run by `check --deploy`): each of the
first run's defaults that production must replace, each refusal saying what to set. The
first test starts `manage.py check --deploy` itself, with nothing set, as `make serve` does;
the others call the check on settings changed one at a time."""

import pytest
from cryptography.fernet import Fernet
from django.core.checks import ERROR, WARNING

from tests.tokentracker.test_security_settings import PRODUCTION, _run
from tokentracker.checks import production_settings_check
from tokentracker.env import dev_field_key

# The check only reads DATABASES' engine; no connection is made with the changed setting.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning")


def _ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_the_first_run_defaults_are_refused_each_saying_what_to_set():
    result = _run({}, "manage.py", "check", "--deploy", "--fail-level", "ERROR")
    assert result.returncode == 1
    for expected in (
        "(tokentracker.E002) SECRET_KEY is not set",
        "HINT: Set SECRET_KEY to 50 or more random characters",
        "(tokentracker.E003) FIELD_ENCRYPTION_KEY is not set",
        "HINT: Set FIELD_ENCRYPTION_KEY to a Fernet key",
        "(tokentracker.E004) ALLOWED_HOSTS is not set to this deployment's host names",
        "HINT: Set ALLOWED_HOSTS to the name(s) clients use",
        "(tokentracker.E005) DATABASE_URL is not a PostgreSQL database",
        "HINT: Set DATABASE_URL=postgres://",
        "(tokentracker.E006) REDIS_URL is not set",
        "HINT: Set REDIS_URL=redis://",
        "(tokentracker.W001) EMAIL_HOST is not set",
    ):
        assert expected in result.stderr, result.stderr


def test_the_documented_production_environment_starts_with_no_error_or_warning():
    result = _run(PRODUCTION, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "tokentracker." not in result.stdout + result.stderr


def test_a_secret_key_set_without_a_field_encryption_key_stops_at_start_up():
    env = {**PRODUCTION}
    del env["FIELD_ENCRYPTION_KEY"]
    result = _run(env, "manage.py", "check", "--deploy")
    assert result.returncode == 1
    assert "FIELD_ENCRYPTION_KEY must be set when SECRET_KEY is" in result.stderr


@pytest.fixture
def production(settings):
    """The suite's settings made production-ready; each test breaks one."""
    settings.DEBUG = False
    settings.SECRET_KEY = PRODUCTION["SECRET_KEY"]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.ALLOWED_HOSTS = ["tokens.example.com"]
    settings.DATABASES = {
        **settings.DATABASES,
        "default": {
            **settings.DATABASES["default"],
            "ENGINE": "django.db.backends.postgresql",
        },
    }
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    settings.EMAIL_HOST = "smtp.example.com"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert production_settings_check() == []
    return settings


def test_debug_on_is_refused(production):
    production.DEBUG = True
    assert _ids(production_settings_check()) == ["tokentracker.E001"]


def test_a_short_secret_key_is_refused_with_its_length(production):
    production.SECRET_KEY = "x" * 49
    [message] = production_settings_check()
    assert (message.id, message.level) == ("tokentracker.E002", ERROR)
    assert message.msg.startswith("SECRET_KEY has 49 characters")


def test_the_field_key_derived_from_the_development_key_is_refused(production):
    production.FIELD_ENCRYPTION_KEYS = [dev_field_key(production.DEV_SECRET_KEY)]
    assert _ids(production_settings_check()) == ["tokentracker.E003"]


def test_an_older_field_key_may_still_be_the_derived_one_while_rotating_away(production):
    # Rotation prepends the new key; the old one only decrypts what it wrote.
    production.FIELD_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        dev_field_key(production.DEV_SECRET_KEY),
    ]
    assert production_settings_check() == []


@pytest.mark.parametrize(
    "hosts", [["localhost", "127.0.0.1", "[::1]", "testserver"], ["*"], ["tokens.example.com", "*"]]
)
def test_the_default_hosts_and_a_wildcard_are_refused(production, hosts):
    production.ALLOWED_HOSTS = hosts
    [message] = production_settings_check()
    assert message.id == "tokentracker.E004"
    assert ("'*' accepts any Host header" in message.msg) == ("*" in hosts)


def test_sqlite_is_refused(production):
    production.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}}
    assert _ids(production_settings_check()) == ["tokentracker.E005"]


def test_no_redis_is_refused(production):
    production.REDIS_URL = ""
    assert _ids(production_settings_check()) == ["tokentracker.E006"]


def test_no_smtp_server_is_a_warning_that_does_not_stop_the_start(production):
    production.EMAIL_HOST = ""
    production.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    [message] = production_settings_check()
    assert (message.id, message.level) == ("tokentracker.W001", WARNING)


def test_another_mail_backend_without_an_smtp_host_is_no_warning(production):
    production.EMAIL_HOST = ""
    production.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    assert production_settings_check() == []
