"""Which spans become events, and with which counts: the GenAI conventions' current and
earlier attribute names, OpenLLMetry's and OpenLIT's spellings, each provider's cache and
reasoning rules, and the span's status, session, user and service.

Spans are recorded by the real SDK with the attributes each instrumentation sets (see the
comments), then posted as the exporter encodes them.
"""

from decimal import Decimal

import pytest
from opentelemetry.sdk.version import __version__ as sdk_version

from usage.models import Outcome, UsageEvent

from .spans import (
    ANTHROPIC_MESSAGE,
    OPENAI_CHAT,
    export_answer,
    post,
    post_spans,
    protobuf_body,
    recorded,
)

D = Decimal

pytestmark = pytest.mark.django_db


def only_event(org) -> UsageEvent:
    return UsageEvent.objects.get(organization=org)


def test_openllmetrys_earlier_attribute_names_price_the_same_openai_call(client, org, raw_key):
    # OpenLLMetry before its move to the conventions' names (semconv_ai < 0.5).
    legacy = {
        "gen_ai.system": "openai",
        "llm.request.type": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.prompt_tokens": 10_000,
        "gen_ai.usage.cache_read_input_tokens": 4_000,
        "gen_ai.usage.completion_tokens": 2_000,
        "llm.usage.reasoning_tokens": 500,
        "llm.usage.total_tokens": 12_000,
    }
    assert post_spans(client, raw_key, legacy).status_code == 200
    event = only_event(org)
    assert (event.uncached_input_tokens, event.cache_read_tokens, event.reasoning_tokens) == (
        6_000,
        4_000,
        500,
    )
    assert (event.total_cost, event.use_case) == (D("0.04"), "chat")


def test_openllmetrys_earlier_anthropic_span_counts_its_cache_inside_the_prompt(
    client, org, raw_key
):
    # OpenLLMetry has summed Anthropic's input, cache reads and cache writes into the prompt
    # count since it first reported prompt caching.
    legacy = {
        "gen_ai.system": "Anthropic",
        "gen_ai.request.model": "claude-sonnet-4-20250514",
        "gen_ai.usage.prompt_tokens": 26_000,
        "gen_ai.usage.cache_read_input_tokens": 20_000,
        "gen_ai.usage.cache_creation_input_tokens": 5_000,
        "gen_ai.usage.completion_tokens": 800,
    }
    assert post_spans(client, raw_key, legacy).status_code == 200
    event = only_event(org)
    assert (event.input_tokens, event.cache_read_tokens, event.cache_write_tokens) == (
        1_000,
        20_000,
        5_000,
    )
    assert event.total_cost == D("0.03975")


OPENLIT = {"service.name": "support-bot", "telemetry.sdk.name": "openlit"}


def test_openlits_anthropic_span_passes_anthropics_own_input_which_leaves_the_cache_out(
    client, org, raw_key
):
    openlit_anthropic = {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "anthropic",
        "gen_ai.request.model": "claude-sonnet-4-20250514",
        "gen_ai.response.model": "claude-sonnet-4-20250514",
        "gen_ai.usage.input_tokens": 1_000,
        "gen_ai.usage.cache_read.input_tokens": 20_000,
        "gen_ai.usage.cache_creation.input_tokens": 5_000,
        "gen_ai.usage.output_tokens": 800,
        "gen_ai.usage.cost": 0.0123,  # OpenLIT's own estimate: not what was billed
    }
    assert post_spans(client, raw_key, openlit_anthropic, resource=OPENLIT).status_code == 200
    event = only_event(org)
    assert (event.input_tokens, event.uncached_input_tokens, event.cache_read_tokens) == (
        1_000,
        1_000,
        20_000,
    )
    assert event.total_cost == D("0.03975")
    assert event.project == "support-bot"
    assert event.metadata["telemetry.sdk.name"] == "openlit"


def test_openlits_openai_span_counts_cached_and_reasoning_tokens_as_openai_does(
    client, org, raw_key
):
    openlit_openai = {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 10_000,
        "gen_ai.usage.cache_read.input_tokens": 4_000,
        "gen_ai.usage.output_tokens": 2_000,
        "gen_ai.usage.reasoning_tokens": 500,
    }
    assert post_spans(client, raw_key, openlit_openai, resource=OPENLIT).status_code == 200
    assert only_event(org).total_cost == D("0.04")


def test_a_gemini_span_takes_the_reasoning_out_of_the_output_that_holds_it(client, org, raw_key):
    # The conventions count reasoning inside gen_ai.usage.output_tokens; Gemini's own API
    # reports thoughts apart from the visible output, which the ingest service expects.
    gemini = {
        "gen_ai.operation.name": "generate_content",
        "gen_ai.provider.name": "gcp.gemini",
        "gen_ai.request.model": "gemini-2.5-pro",
        "gen_ai.usage.input_tokens": 1_000,
        "gen_ai.usage.output_tokens": 600,
        "gen_ai.usage.reasoning.output_tokens": 400,
    }
    assert post_spans(client, raw_key, gemini).status_code == 200
    event = only_event(org)
    assert (event.provider, event.output_tokens, event.reasoning_tokens) == ("google", 600, 400)
    # gemini-2.5-pro: $1.25 input, $10 output (thoughts too) per Mtok.
    assert event.input_cost == D("0.00125")
    assert event.output_cost == D("0.002")
    assert event.reasoning_cost == D("0.004")
    assert event.total_cost == D("0.00725")
    assert event.use_case == "generate_content"


def test_claude_on_bedrock_follows_anthropics_cache_rule(client, org, raw_key):
    bedrock = {
        "gen_ai.provider.name": "aws.bedrock",
        "gen_ai.request.model": "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "gen_ai.usage.input_tokens": 26_000,
        "gen_ai.usage.cache_read.input_tokens": 20_000,
        "gen_ai.usage.cache_creation.input_tokens": 5_000,
        "gen_ai.usage.output_tokens": 800,
    }
    assert post_spans(client, raw_key, bedrock).status_code == 200
    event = only_event(org)
    assert (event.provider, event.uncached_input_tokens) == ("aws", 1_000)
    assert event.total_cost == D("0.03975")


@pytest.mark.parametrize(
    ("reported", "stored"),
    [
        ("openai", "openai"),
        ("Anthropic", "anthropic"),
        ("gcp.gemini", "google"),
        ("gcp.vertex_ai", "google"),
        ("gcp.gen_ai", "google"),
        ("aws.bedrock", "aws"),
        ("azure.ai.openai", "openai"),
        ("azure.ai.inference", "azure"),
        ("x_ai", "x-ai"),
        ("mistral_ai", "mistral"),
        ("deepseek", "deepseek"),
    ],
)
def test_the_conventions_provider_names_are_stored_as_the_catalogs(
    client, org, raw_key, reported, stored
):
    call = {
        "gen_ai.provider.name": reported,
        "gen_ai.request.model": "some-model",
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 1,
    }
    assert post_spans(client, raw_key, call).status_code == 200
    assert only_event(org).provider == stored


def test_without_a_provider_the_model_names_it(client, org, raw_key):
    call = {"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 1_000}
    assert post_spans(client, raw_key, call).status_code == 200
    event = only_event(org)
    assert (event.provider, event.output_tokens, event.total_cost) == ("openai", 0, D("0.0025"))


def test_the_response_model_wins_and_the_requested_one_is_kept(client, org, raw_key):
    call = {
        **OPENAI_CHAT,
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
    }
    assert post_spans(client, raw_key, call).status_code == 200
    event = only_event(org)
    assert event.model == "gpt-4o-2024-08-06"
    assert event.metadata["gen_ai.request.model"] == "gpt-4o"
    assert event.total_cost == D("0.04")


def test_a_failed_call_is_stored_as_an_error_with_the_status_description(client, org, raw_key):
    failed = {**OPENAI_CHAT, "error.type": "RateLimitError", "http.response.status_code": 429}
    response = post_spans(client, raw_key, failed, error="Rate limit reached for gpt-4o")
    assert response.status_code == 200
    event = only_event(org)
    assert (event.success, event.status, event.outcome) == (False, "error", Outcome.ERROR)
    assert (event.error_message, event.status_code) == ("Rate limit reached for gpt-4o", 429)


def test_error_type_alone_marks_the_call_failed(client, org, raw_key):
    assert post_spans(client, raw_key, {**OPENAI_CHAT, "error.type": "timeout"}).status_code == 200
    event = only_event(org)
    assert (event.success, event.error_message, event.outcome) == (False, "timeout", Outcome.ERROR)


def test_an_unset_status_is_a_success_as_instrumentations_leave_it(client, org, raw_key):
    assert post_spans(client, raw_key, OPENAI_CHAT).status_code == 200
    event = only_event(org)
    assert (event.success, event.status, event.outcome) == (True, "ok", Outcome.SUCCESS)


def test_session_user_and_service_become_session_developer_and_project(client, org, raw_key):
    call = {**OPENAI_CHAT, "gen_ai.conversation.id": "conv-1", "user.id": "alice"}
    resource = {
        "service.name": "checkout",
        "service.version": "2.1.0",
        "deployment.environment.name": "production",
        "host.name": "web-7",
    }
    assert (
        post_spans(client, raw_key, call, resource=resource, scope="openllmetry").status_code == 200
    )
    event = only_event(org)
    assert (event.session_id, event.developer_id, event.project) == ("conv-1", "alice", "checkout")
    assert event.metadata == {
        "service.version": "2.1.0",
        "deployment.environment.name": "production",
        "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.language": "python",
        "telemetry.sdk.version": sdk_version,
        "otel.span.name": "chat",
        "otel.scope.name": "openllmetry",
        "gen_ai.response.id": "chatcmpl-1",
    }


def test_session_id_wins_over_the_conversation_id(client, org, raw_key):
    call = {**OPENAI_CHAT, "session.id": "s-1", "gen_ai.conversation.id": "conv-1"}
    assert post_spans(client, raw_key, call).status_code == 200
    assert only_event(org).session_id == "s-1"


def test_the_sdks_placeholder_service_name_is_no_project(client, org, raw_key):
    resource = {"service.name": "unknown_service:python"}
    assert post_spans(client, raw_key, OPENAI_CHAT, resource=resource).status_code == 200
    assert only_event(org).project == ""


@pytest.mark.parametrize("operation", ["invoke_agent", "create_agent", "execute_tool"])
def test_agent_and_tool_spans_are_ignored_though_they_sum_usage(client, org, raw_key, operation):
    rollup = {**ANTHROPIC_MESSAGE, "gen_ai.operation.name": operation}
    answer = export_answer(post_spans(client, raw_key, rollup, OPENAI_CHAT))
    assert answer.partial_success.rejected_spans == 0
    assert answer.partial_success.error_message.startswith("1 span(s) without GenAI token usage")
    assert only_event(org).provider == "openai"


@pytest.mark.parametrize(
    ("value", "stored"), [(1_200.0, 1_200), ("1200", 1_200), (" 1200 ", 1_200)]
)
def test_a_count_written_as_a_whole_double_or_as_digits_is_read(
    client, org, raw_key, value, stored
):
    call = {
        **OPENAI_CHAT,
        "gen_ai.usage.output_tokens": value,
        "gen_ai.usage.reasoning.output_tokens": 0,
    }
    assert post_spans(client, raw_key, call).status_code == 200
    assert only_event(org).output_tokens == stored


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (12.5, "must be a whole number, not 12.5"),
        ("many", "must be a whole number, not 'many'"),
        (True, "must be a whole number, not True"),
        ([1, 2], "must be a whole number, not None"),
        (10**10, "output_tokens: Input should be less than or equal to 1000000000"),
    ],
)
def test_a_count_that_is_no_count_rejects_the_span(client, raw_key, value, reason):
    call = {
        **OPENAI_CHAT,
        "gen_ai.usage.output_tokens": value,
        "gen_ai.usage.reasoning.output_tokens": 0,
    }
    spans = recorded(call)
    answer = export_answer(post(client, protobuf_body(spans), raw_key))
    assert answer.partial_success.rejected_spans == 1
    context = spans[0].context
    assert answer.partial_success.error_message.startswith(
        f"span {context.trace_id:032x}/{context.span_id:016x}: gen_ai.usage.output_tokens: "
    )
    assert answer.partial_success.error_message.endswith(reason)
    assert not UsageEvent.objects.exists()
