"""Tokenwise's own SDK (tokenwise-observe, from PyPI) pointed at a live TokenTracker.

The SDK wraps an OpenAI or Anthropic client and posts each call to /api/v1/observe from a
daemon thread, never raising: failures reach only its `on_error` hook. The provider clients
here are stand-ins that answer as the real SDKs do (the wrapper reads plain dicts too); the
Tokenwise client, its HTTP request and our server are the real ones.

These tests run on a transactional database (the server thread must see committed rows),
which is flushed afterwards: they rely on no row a data migration wrote (no catalog price).
"""

import threading
from types import SimpleNamespace
from urllib.error import HTTPError

import pytest
from tokenwise_observe import observe_anthropic, observe_openai

from tokentracker import services as tenancy
from tokentracker.models import ApiKeyScope, Plan
from usage.models import RequestPayload, UsageEvent
from usage.selectors.requests import request_payloads

MESSAGES = [{"role": "user", "content": "Say hello"}]
OPENAI_ANSWER = {
    "id": "chatcmpl-1",
    "model": "gpt-4o-2024-08-06",
    "choices": [{"message": {"role": "assistant", "content": "Hello!"}}],
    "usage": {
        "prompt_tokens": 1000,
        "completion_tokens": 100,
        "prompt_tokens_details": {"cached_tokens": 400},
    },
}
ANTHROPIC_ANSWER = {
    "id": "msg_1",
    "model": "claude-sonnet-4-0",
    "content": [{"type": "text", "text": "Hello!"}],
    "usage": {
        "input_tokens": 100,
        "output_tokens": 50,
        "cache_read_input_tokens": 1000,
        "cache_creation_input_tokens": 200,
    },
}


class ProviderError(Exception):
    """What the provider SDKs raise: an exception with the HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def openai_client(answer=OPENAI_ANSWER, error=None):
    def create(**kwargs):
        if error:
            raise error
        return answer

    return SimpleNamespace(chat=SimpleNamespace(completions=SimpleNamespace(create=create)))


def anthropic_client(answer=ANTHROPIC_ANSWER):
    return SimpleNamespace(messages=SimpleNamespace(create=lambda **kwargs: answer))


@pytest.fixture
def tw_key(transactional_db, org):
    return tenancy.api_key_create(organization=org, name="sdk", prefix="tw_api_").raw_key


@pytest.fixture
def sdk(live_server):
    """Wrap a client as an app would, pointed at the live server; `sdk.errors` holds what
    the SDK's on_error hook received, and `sdk.sent()` waits for the posts to finish."""

    class Sdk:
        errors: list[BaseException] = []
        endpoint = f"{live_server.url}/api/v1/observe"

        def __init__(self):
            self.errors = []
            self._before = set(threading.enumerate())

        def wrap(self, wrapper, client, key, **options):
            # A loaded test machine can take more than the SDK's default 3 s to answer.
            options.setdefault("timeout", 30)
            return wrapper(
                client, api_key=key, endpoint=self.endpoint, on_error=self.errors.append, **options
            )

        def sent(self):
            for thread in set(threading.enumerate()) - self._before:
                if thread.name.endswith("(_post)"):  # the SDK's sender threads
                    thread.join(timeout=15)

    return Sdk()


def test_an_openai_call_is_logged_with_its_cached_tokens(sdk, org, tw_key):
    client = sdk.wrap(observe_openai, openai_client(), tw_key, tag="checkout")
    answer = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    sdk.sent()
    assert answer is OPENAI_ANSWER  # the app's answer, untouched
    assert sdk.errors == []
    event = UsageEvent.objects.get(organization=org)
    assert (event.provider, event.model) == ("openai", "gpt-4o-2024-08-06")
    # OpenAI counts cached tokens inside prompt_tokens: 600 were not cached.
    assert (event.input_tokens, event.cache_read_tokens, event.uncached_input_tokens) == (
        1000,
        400,
        600,
    )
    assert (event.output_tokens, event.cache_write_tokens) == (100, 0)
    assert (event.status_code, event.error_message, event.endpoint) == (200, "", "checkout")
    assert event.latency_ms is not None and event.latency_ms >= 0
    assert not RequestPayload.objects.exists()  # payload storage is off


def test_an_anthropic_call_is_logged_with_cache_reads_and_writes_apart(sdk, org, tw_key):
    client = sdk.wrap(observe_anthropic, anthropic_client(), tw_key)
    client.messages.create(model="claude-sonnet-4-0", max_tokens=64, messages=MESSAGES)
    sdk.sent()
    assert sdk.errors == []
    event = UsageEvent.objects.get(organization=org)
    # Anthropic's input_tokens excludes cache reads and writes.
    assert (
        event.provider,
        event.input_tokens,
        event.uncached_input_tokens,
        event.cache_read_tokens,
        event.cache_write_tokens,
        event.output_tokens,
    ) == ("anthropic", 100, 100, 1000, 200, 50)


def test_a_failed_provider_call_is_logged_as_an_error(sdk, org, tw_key):
    client = sdk.wrap(observe_openai, openai_client(error=ProviderError("Overloaded", 529)), tw_key)
    with pytest.raises(ProviderError):  # the app's own error, re-raised unchanged
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    sdk.sent()
    assert sdk.errors == []
    event = UsageEvent.objects.get(organization=org)
    assert (event.model, event.status_code, event.error_message) == ("gpt-4o", 529, "Overloaded")
    assert (event.input_tokens, event.output_tokens) == (0, 0)


def test_content_is_kept_encrypted_when_the_workspace_stores_payloads(sdk, org, tw_key):
    org.payload_storage_enabled = True
    org.save(update_fields=["payload_storage_enabled"])
    client = sdk.wrap(observe_openai, openai_client(), tw_key)
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    sdk.sent()
    event = UsageEvent.objects.get(organization=org)
    payload = request_payloads([event.uuid])[event.uuid]
    assert payload.input == {"model": "gpt-4o", "messages": MESSAGES}
    assert payload.output == OPENAI_ANSWER


def test_capture_content_off_sends_metrics_only(sdk, org, tw_key):
    org.payload_storage_enabled = True
    org.save(update_fields=["payload_storage_enabled"])
    client = sdk.wrap(observe_openai, openai_client(), tw_key, capture_content=False)
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    sdk.sent()
    assert UsageEvent.objects.filter(organization=org).count() == 1
    assert not RequestPayload.objects.exists()


def test_an_app_past_its_hourly_read_limit_still_logs_its_calls(sdk, client, org, tw_key):
    org.plan = Plan.objects.create(slug="tiny", name="Tiny", hourly_request_limit=2)
    org.save(update_fields=["plan"])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {tw_key}"}
    statuses = [client.get("/api/v1/public/metrics", **headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]

    wrapped = sdk.wrap(observe_openai, openai_client(), tw_key)
    for _ in range(3):
        wrapped.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        # One at a time: on SQLite the live server's request threads share one connection.
        sdk.sent()
    assert sdk.errors == []
    assert UsageEvent.objects.filter(organization=org).count() == 3
    assert client.get("/api/v1/public/requests", **headers).status_code == 429


def test_past_the_daily_event_quota_the_sdk_is_told_and_the_app_is_not(sdk, org, tw_key):
    org.plan = Plan.objects.create(slug="day", name="Day", daily_event_limit=1)
    org.save(update_fields=["plan"])
    client = sdk.wrap(observe_openai, openai_client(), tw_key)
    answers = [client.chat.completions.create(model="gpt-4o", messages=MESSAGES)]
    sdk.sent()
    answers.append(client.chat.completions.create(model="gpt-4o", messages=MESSAGES))
    sdk.sent()
    assert answers == [OPENAI_ANSWER, OPENAI_ANSWER]
    (refused,) = sdk.errors
    assert isinstance(refused, HTTPError)
    assert refused.code == 429
    assert refused.read() == b'{"error":"Daily event limit reached"}'
    assert 1 <= int(refused.headers["Retry-After"]) <= 86_400
    assert UsageEvent.objects.filter(organization=org).count() == 1


@pytest.mark.parametrize("bad_key", ["tw_api_" + "x" * 40, ""])
def test_a_wrong_key_stores_nothing_and_never_breaks_the_app(sdk, org, tw_key, bad_key):
    client = sdk.wrap(observe_openai, openai_client(), bad_key)
    assert client.chat.completions.create(model="gpt-4o", messages=MESSAGES) == OPENAI_ANSWER
    sdk.sent()
    if bad_key:
        (refused,) = sdk.errors
        assert refused.code == 401
        assert refused.read() == b'{"error":"Invalid or missing API token"}'
    else:
        assert sdk.errors == []  # no key: the SDK sends nothing at all
    assert not UsageEvent.objects.exists()


def test_a_read_only_key_is_refused(sdk, org, tw_key):
    read_key = tenancy.api_key_create(organization=org, name="r", scope=ApiKeyScope.READ)
    client = sdk.wrap(observe_openai, openai_client(), read_key.raw_key)
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    sdk.sent()
    (refused,) = sdk.errors
    assert refused.code == 403
    assert not UsageEvent.objects.exists()


def test_the_event_lands_in_the_keys_organization_only(sdk, org, outsider_org, tw_key):
    client = sdk.wrap(observe_openai, openai_client(), tw_key)
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    sdk.sent()
    assert UsageEvent.objects.filter(organization=org).count() == 1
    assert not UsageEvent.objects.filter(organization=outsider_org).exists()
