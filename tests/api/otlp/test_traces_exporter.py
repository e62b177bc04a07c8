"""The real OpenTelemetry SDK and its OTLP/HTTP exporter (opentelemetry-exporter-otlp-proto-http)
exporting GenAI spans to a live TokenTracker at /v1/traces, as an instrumented app does.

The server runs in a thread and sees only committed rows, hence a transactional database;
the catalog prices these tests rely on are the ones `migrate` loaded (a flush loads them
again: usage's post_migrate handler).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tokentracker import services as tenancy
from usage.models import CostSource, UsageEvent

from .spans import ANTHROPIC_MESSAGE, OPENAI_CHAT

D = Decimal

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Pipeline:
    """An app's tracing set-up: spans go to /v1/traces as they end, and to memory."""

    provider: TracerProvider
    exporter: OTLPSpanExporter
    memory: InMemorySpanExporter

    def call(self, attributes: dict, name: str = "chat") -> None:
        tracer = self.provider.get_tracer("opentelemetry.instrumentation.genai", "1.0.0")
        with tracer.start_as_current_span(name, attributes=attributes):
            pass
        assert self.provider.force_flush(30_000)


@pytest.fixture
def pipeline(live_server):
    made: list[Pipeline] = []

    def pipeline(key: str, compression: Compression = Compression.NoCompression) -> Pipeline:
        exporter = OTLPSpanExporter(
            endpoint=f"{live_server.url}/v1/traces",
            headers={"Authorization": f"Bearer {key}"},
            compression=compression,
            timeout=30,
        )
        memory = InMemorySpanExporter()
        provider = TracerProvider(
            resource=Resource.create({"service.name": "checkout", "service.version": "2.1.0"})
        )
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        provider.add_span_processor(SimpleSpanProcessor(memory))
        made.append(Pipeline(provider, exporter, memory))
        return made[-1]

    yield pipeline
    for each in made:
        each.provider.shutdown()


@pytest.fixture
def key(org):
    return tenancy.api_key_create(organization=org, name="otel").raw_key


def _client_id(span) -> str:
    return f"{span.context.trace_id:032x}-{span.context.span_id:016x}"


def test_an_openai_call_arrives_with_its_cached_and_reasoning_parts_priced(pipeline, org, key):
    app = pipeline(key)
    app.call(OPENAI_CHAT, name="chat gpt-4o")
    (span,) = app.memory.get_finished_spans()
    event = UsageEvent.objects.get(organization=org)
    assert (event.provider, event.model, event.use_case) == ("openai", "gpt-4o", "chat")
    # OpenAI counts the 4,000 cached tokens inside the 10,000 and the 500 reasoning tokens
    # inside the 2,000: 6,000 uncached, 1,500 visible output.
    assert (event.input_tokens, event.uncached_input_tokens, event.cache_read_tokens) == (
        10_000,
        6_000,
        4_000,
    )
    assert (event.output_tokens, event.reasoning_tokens, event.cache_write_tokens) == (
        2_000,
        500,
        0,
    )
    assert event.total_tokens == 12_000
    # gpt-4o: $2.50 input, $1.25 cached input, $10 output per Mtok.
    assert event.input_cost == D("0.015")
    assert event.cache_read_cost == D("0.005")
    assert event.output_cost == D("0.015")
    assert event.reasoning_cost == D("0.005")
    assert event.total_cost == D("0.04")
    assert event.cost_source == CostSource.CATALOG
    assert event.client_event_id == _client_id(span)
    started = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=span.start_time // 1000)
    assert event.occurred_at == started
    assert event.latency_ms == (span.end_time - span.start_time) // 1_000_000
    assert (event.project, event.success, event.status) == ("checkout", True, "ok")
    assert event.metadata["service.version"] == "2.1.0"
    assert event.metadata["otel.span.name"] == "chat gpt-4o"
    assert event.metadata["gen_ai.response.id"] == "chatcmpl-1"


def test_an_anthropic_call_through_a_gzip_exporter_is_priced_with_cache_on_top(pipeline, org, key):
    app = pipeline(key, Compression.Gzip)
    app.call(ANTHROPIC_MESSAGE)
    event = UsageEvent.objects.get(organization=org)
    assert (event.provider, event.model_price.model) == ("anthropic", "claude-sonnet-4-0")
    # The span's 26,000 input tokens hold the 20,000 read and 5,000 written: Anthropic's
    # own input_tokens, 1,000, is what is stored as input.
    assert (event.input_tokens, event.uncached_input_tokens) == (1_000, 1_000)
    assert (event.cache_read_tokens, event.cache_write_tokens, event.output_tokens) == (
        20_000,
        5_000,
        800,
    )
    assert event.total_tokens == 26_800
    # claude-sonnet-4: $3 input, $0.30 cache read, $3.75 cache write, $15 output per Mtok.
    assert event.input_cost == D("0.003")
    assert event.cache_read_cost == D("0.006")
    assert event.cache_write_cost == D("0.01875")
    assert event.output_cost == D("0.012")
    assert event.total_cost == D("0.03975")


def test_exporting_the_same_spans_again_adds_nothing(pipeline, org, key):
    app = pipeline(key)
    app.call(OPENAI_CHAT)
    app.call(ANTHROPIC_MESSAGE)
    assert UsageEvent.objects.filter(organization=org).count() == 2
    # What an exporter does after a timeout it took for a failure: the same batch again.
    assert app.exporter.export(app.memory.get_finished_spans()) == SpanExportResult.SUCCESS
    assert UsageEvent.objects.filter(organization=org).count() == 2
    assert sum(e.total_cost for e in UsageEvent.objects.filter(organization=org)) == D("0.07975")


def test_an_unknown_key_fails_the_export_and_stores_nothing(pipeline, org, key):
    app = pipeline("mtt_" + "0" * 40)
    tracer = app.provider.get_tracer("opentelemetry.instrumentation.openai")
    with tracer.start_as_current_span("chat", attributes=OPENAI_CHAT):
        pass
    spans = app.memory.get_finished_spans()
    assert app.exporter.export(spans) == SpanExportResult.FAILURE
    assert not UsageEvent.objects.exists()
    # The same spans with the organization's key are taken.
    assert pipeline(key).exporter.export(spans) == SpanExportResult.SUCCESS
    assert UsageEvent.objects.filter(organization=org).count() == 1


def test_spans_land_only_in_the_organization_of_the_exporters_key(
    pipeline, org, key, outsider_org, outsider_key
):
    pipeline(key).call(OPENAI_CHAT)
    pipeline(outsider_key).call(ANTHROPIC_MESSAGE)
    assert list(UsageEvent.objects.filter(organization=org).values_list("provider", flat=True)) == [
        "openai"
    ]
    assert list(
        UsageEvent.objects.filter(organization=outsider_org).values_list("provider", flat=True)
    ) == ["anthropic"]


def test_spans_without_genai_usage_are_exported_fine_and_store_nothing(pipeline, org, key):
    app = pipeline(key)
    app.call({"http.request.method": "GET", "url.path": "/checkout"}, name="GET /checkout")
    app.call({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"})
    spans = app.memory.get_finished_spans()
    assert len(spans) == 2
    assert app.exporter.export(spans) == SpanExportResult.SUCCESS
    assert not UsageEvent.objects.exists()


def test_the_readmes_environment_configures_the_exporter(live_server, monkeypatch, org, key):
    # README, "OpenTelemetry (OTLP)": the exporter configured by environment alone.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", f"{live_server.url}/v1/traces")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", f"Authorization=Bearer%20{key}")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "checkout")
    provider = TracerProvider(resource=Resource.create())
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter()))
    with provider.get_tracer("app").start_as_current_span("chat", attributes=OPENAI_CHAT):
        pass
    provider.shutdown()
    event = UsageEvent.objects.get(organization=org)
    assert (event.project, event.total_cost) == ("checkout", D("0.04"))
