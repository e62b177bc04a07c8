"""A local stand-in for OpenAI's and Anthropic's admin APIs, so provider sync is tested
end to end over real HTTP without leaving the machine.

`ProviderServer` listens on 127.0.0.1 (a free port) and answers the four documented
endpoints from the data a test gives it:

    server.openai.usage(day="2026-11-02", model="gpt-4o-2024-08-06", project_id="proj_a",
                        api_key_id="key_a", input_tokens=1000, input_cached_tokens=200,
                        output_tokens=300, num_model_requests=4)
    server.openai.cost(day="2026-11-02", line_item="gpt-4o-2024-08-06, input",
                       project_id="proj_a", value="1.25")
    server.anthropic.usage(day="2026-11-02", model="claude-sonnet-4-20250514",
                           workspace_id="wrkspc_a", api_key_id="apikey_a",
                           uncached_input_tokens=500, cache_read_input_tokens=100,
                           ephemeral_5m_input_tokens=40, ephemeral_1h_input_tokens=10,
                           output_tokens=70)
    server.anthropic.cost(day="2026-11-02", description="Claude Sonnet 4 Usage - Input Tokens",
                          workspace_id="wrkspc_a", model="claude-sonnet-4-20250514",
                          amount="123.45")   # cents, as a string, like the real report

It answers as the providers document: one bucket per day (or hour) of the window asked
(empty buckets too), rows grouped by the `group_by` asked (a group not asked is null and
added up), at most `limit` buckets a page (and at most `page_size`, to force paging), with
`has_more`/`next_page`. It checks the key (`Authorization: Bearer` for OpenAI, `x-api-key`
and `anthropic-version` for Anthropic) and the documented limits, answering 401 and 400 in
each provider's error body. Failures are scripted per path (`server.script(path, ...)`):
a 429 with Retry-After, a 500, a 401, a slow answer. Every request is recorded
(`server.requests`: path, query, headers) for the tests to assert what was sent.
"""

import base64
import json
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

OPENAI_KEY = "sk-admin-Test0penAIAdminKey000000000000001234"
ANTHROPIC_KEY = "sk-ant-admin01-TestAnthropicAdminKey0000000005678"
ANTHROPIC_VERSION = "2023-06-01"

OPENAI_USAGE = "/v1/organization/usage/completions"
OPENAI_COSTS = "/v1/organization/costs"
ANTHROPIC_USAGE = "/v1/organizations/usage_report/messages"
ANTHROPIC_COSTS = "/v1/organizations/cost_report"

# The documented page limits per bucket width (and the defaults when `limit` is left out).
OPENAI_USAGE_LIMITS = {"1m": (60, 1440), "1h": (24, 168), "1d": (7, 31)}
OPENAI_COSTS_LIMITS = {"1d": (7, 180)}
ANTHROPIC_USAGE_LIMITS = {"1m": (60, 1440), "1h": (24, 168), "1d": (7, 31)}
ANTHROPIC_COSTS_LIMITS = {"1d": (7, 31)}
WIDTHS = {"1m": timedelta(minutes=1), "1h": timedelta(hours=1), "1d": timedelta(days=1)}


def _moment(value: str | date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _floor(moment: datetime, width: str) -> datetime:
    if width == "1d":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if width == "1h":
        return moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(second=0, microsecond=0)


def _number(value: Decimal) -> float | int:
    # JSON numbers as OpenAI writes them; Python's float repr is the shortest that reads
    # back as the same value, so "1.25" goes out as 1.25.
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass
class Answer:
    """A scripted answer for the next request to a path: a status (with Retry-After and
    the provider's error body saying `message`), after `delay` seconds; status None
    answers normally after the delay. `body` (JSON) or `raw` (bytes) replace the body."""

    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    message: str = "scripted failure"
    body: dict[str, Any] | None = None
    raw: bytes | None = None


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]

    def one(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class _Records:
    usage: list[dict[str, Any]] = field(default_factory=list)
    costs: list[dict[str, Any]] = field(default_factory=list)


class OpenAIData:
    """Usage and costs of one OpenAI organization, as its admin API would report them."""

    def __init__(self) -> None:
        self.key = OPENAI_KEY
        self.records = _Records()

    def usage(self, *, day: str | date | datetime, **values: Any) -> None:
        """One usage row at `day` (a day, or a moment for hourly buckets): model,
        project_id, api_key_id, input_tokens (cached ones included, as OpenAI counts),
        input_cached_tokens, output_tokens, num_model_requests."""
        self.records.usage.append({"at": _moment(day), **values})

    def cost(self, *, day: str | date, value: str | Decimal, **values: Any) -> None:
        """One cost row of `day`: line_item, project_id, value (dollars), currency."""
        self.records.costs.append({"at": _moment(day), "value": Decimal(str(value)), **values})

    def clear(self) -> None:
        self.records = _Records()


class AnthropicData:
    """Usage and costs of one Anthropic organization, as its Admin API would report them."""

    def __init__(self) -> None:
        self.key = ANTHROPIC_KEY
        self.records = _Records()

    def usage(self, *, day: str | date | datetime, **values: Any) -> None:
        """One usage row: model, workspace_id, api_key_id, uncached_input_tokens,
        cache_read_input_tokens, ephemeral_5m_input_tokens, ephemeral_1h_input_tokens,
        output_tokens."""
        self.records.usage.append({"at": _moment(day), **values})

    def cost(self, *, day: str | date, amount: str | Decimal, **values: Any) -> None:
        """One cost row: description, workspace_id, model, cost_type, token_type, amount
        (in cents, like the real report: "123.45" is $1.2345)."""
        self.records.costs.append({"at": _moment(day), "amount": Decimal(str(amount)), **values})

    def clear(self) -> None:
        self.records = _Records()


def _grouped(
    rows: Iterable[dict[str, Any]],
    dimensions: list[str],
    asked: list[str],
    sums: list[str],
) -> list[dict[str, Any]]:
    """Rows added up per the dimensions asked; a dimension not asked is null."""
    groups: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = tuple(row.get(name) if name in asked else None for name in dimensions)
        group = groups.setdefault(
            key,
            {**dict(zip(dimensions, key, strict=True)), **{name: 0 for name in sums}},
        )
        for name in sums:
            group[name] += row.get(name, 0)
    return list(groups.values())


class _Refused(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body


class ProviderServer:
    def __init__(self) -> None:
        self.openai = OpenAIData()
        self.anthropic = AnthropicData()
        self.requests: list[Recorded] = []
        self.sleeps: list[float] = []  # what the sync would have waited (fixture records)
        self.page_size: int | None = None
        self._scripts: dict[str, deque[Answer]] = {}
        self._always: dict[str, Answer] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: pytest shows what the tests assert

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "ProviderServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- scripting -------------------------------------------------------------------

    def script(self, path: str, *answers: Answer) -> None:
        """The next requests to `path` get these answers, in order; then normal ones."""
        with self._lock:
            self._scripts.setdefault(path, deque()).extend(answers)

    def fail_always(self, path: str, answer: Answer) -> None:
        """Every request to `path` gets `answer` (until `recover`)."""
        with self._lock:
            self._always[path] = answer

    def recover(self, path: str) -> None:
        with self._lock:
            self._always.pop(path, None)
            self._scripts.pop(path, None)

    def to(self, path: str) -> list[Recorded]:
        """The requests received for `path`, in order."""
        return [request for request in self.requests if request.path == path]

    # --- answering ---------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        recorded = Recorded(
            method="GET",
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in handler.headers.items()},
        )
        with self._lock:
            self.requests.append(recorded)
            answer = self._always.get(parts.path)
            script = self._scripts.get(parts.path)
            if answer is None and script:
                answer = script.popleft()
        if answer is not None and answer.delay:
            time.sleep(answer.delay)
        anthropic = parts.path.startswith("/v1/organizations/")
        if answer is not None and answer.status is not None:
            headers = {"Retry-After": answer.retry_after} if answer.retry_after else {}
            body = answer.body or self._error(anthropic, answer.status, answer.message)
            self._send(handler, answer.status, body, headers, raw=answer.raw)
            return
        try:
            body = self._route(parts.path, recorded)
        except _Refused as refused:
            self._send(handler, refused.status, refused.body)
            return
        self._send(handler, 200, body)

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> None:
        payload = raw if raw is not None else json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the timeout tests)

    @staticmethod
    def _error(anthropic: bool, status: int, message: str) -> dict[str, Any]:
        if anthropic:
            kinds = {
                400: "invalid_request_error",
                401: "authentication_error",
                429: "rate_limit_error",
            }
            return {
                "type": "error",
                "error": {"type": kinds.get(status, "api_error"), "message": message},
            }
        kinds = {400: "invalid_request_error", 401: "invalid_request_error", 429: "requests"}
        return {
            "error": {
                "message": message,
                "type": kinds.get(status, "server_error"),
                "param": None,
                "code": None,
            }
        }

    def _route(self, path: str, request: Recorded) -> dict[str, Any]:
        if path in (OPENAI_USAGE, OPENAI_COSTS):
            authorization = request.headers.get("authorization", "")
            if authorization != f"Bearer {self.openai.key}":
                raise _Refused(
                    401,
                    self._error(False, 401, "Incorrect API key provided: sk-admin-****."),
                )
            if path == OPENAI_USAGE:
                return self._openai_usage(request)
            return self._openai_costs(request)
        if path in (ANTHROPIC_USAGE, ANTHROPIC_COSTS):
            if request.headers.get("x-api-key") != self.anthropic.key:
                raise _Refused(401, self._error(True, 401, "invalid x-api-key"))
            if request.headers.get("anthropic-version") != ANTHROPIC_VERSION:
                raise _Refused(400, self._error(True, 400, "anthropic-version: header is required"))
            if path == ANTHROPIC_USAGE:
                return self._anthropic_usage(request)
            return self._anthropic_costs(request)
        raise _Refused(404, {"error": {"message": f"Unknown path {path}"}})

    # --- windows and paging --------------------------------------------------------------

    def _buckets(
        self,
        request: Recorded,
        *,
        anthropic: bool,
        limits: dict[str, tuple[int, int]],
    ) -> tuple[list[tuple[datetime, datetime]], str, int]:
        """The page's buckets, the width, and the offset of the next page (-1: none)."""
        width = request.one("bucket_width") or "1d"
        if width not in limits:
            raise _Refused(400, self._error(anthropic, 400, f"bucket_width {width} invalid"))
        default, maximum = limits[width]
        limit = int(request.one("limit") or default)
        if not 1 <= limit <= maximum:
            raise _Refused(
                400,
                self._error(anthropic, 400, f"limit must be between 1 and {maximum} for {width}"),
            )
        try:
            if anthropic:
                start = _moment(request.one("starting_at") or "")
                end_raw = request.one("ending_at")
                end = _moment(end_raw) if end_raw else None
            else:
                start = datetime.fromtimestamp(int(request.one("start_time") or ""), UTC)
                end_raw = request.one("end_time")
                end = datetime.fromtimestamp(int(end_raw), UTC) if end_raw else None
        except ValueError:
            raise _Refused(400, self._error(anthropic, 400, "invalid time range")) from None
        step = WIDTHS[width]
        first = _floor(start, width)
        last = end if end is not None else first + step * limit
        buckets = []
        moment = first
        while moment < last:
            bucket_end = moment + step
            # Anthropic: buckets that end before `ending_at`; OpenAI: that start before
            # `end_time` (the last one may run past it).
            if anthropic and bucket_end > last:
                break
            buckets.append((moment, bucket_end))
            moment = bucket_end
        token = request.one("page")
        offset = int(base64.b64decode(token).decode().removeprefix("page_")) if token else 0
        size = min(limit, self.page_size or limit)
        page = buckets[offset : offset + size]
        next_offset = offset + size if offset + size < len(buckets) else -1
        return page, width, next_offset

    @staticmethod
    def _paged(data: list[dict[str, Any]], next_offset: int, extra: dict[str, Any]) -> dict:
        token = (
            base64.b64encode(f"page_{next_offset}".encode()).decode() if next_offset >= 0 else None
        )
        return {**extra, "data": data, "has_more": next_offset >= 0, "next_page": token}

    @staticmethod
    def _inside(rows: list[dict[str, Any]], start: datetime, end: datetime) -> list[dict]:
        return [row for row in rows if start <= row["at"] < end]

    # --- OpenAI ------------------------------------------------------------------------------

    def _openai_usage(self, request: Recorded) -> dict[str, Any]:
        page, _, next_offset = self._buckets(request, anthropic=False, limits=OPENAI_USAGE_LIMITS)
        asked = request.query.get("group_by", [])
        data = []
        for start, end in page:
            results = _grouped(
                self._inside(self.openai.records.usage, start, end),
                ["model", "project_id", "api_key_id", "user_id", "batch"],
                asked,
                ["input_tokens", "input_cached_tokens", "output_tokens", "num_model_requests"],
            )
            data.append(
                {
                    "object": "bucket",
                    "start_time": int(start.timestamp()),
                    "end_time": int(end.timestamp()),
                    "results": [
                        {
                            "object": "organization.usage.completions.result",
                            "input_audio_tokens": 0,
                            "output_audio_tokens": 0,
                            **result,
                        }
                        for result in results
                    ],
                }
            )
        return self._paged(data, next_offset, {"object": "page"})

    def _openai_costs(self, request: Recorded) -> dict[str, Any]:
        page, _, next_offset = self._buckets(request, anthropic=False, limits=OPENAI_COSTS_LIMITS)
        asked = request.query.get("group_by", [])
        data = []
        for start, end in page:
            rows = [
                {**row, "currency": row.get("currency", "usd")}
                for row in self._inside(self.openai.records.costs, start, end)
            ]
            results = _grouped(
                rows, ["line_item", "project_id", "currency"], [*asked, "currency"], ["value"]
            )
            data.append(
                {
                    "object": "bucket",
                    "start_time": int(start.timestamp()),
                    "end_time": int(end.timestamp()),
                    "results": [
                        {
                            "object": "organization.costs.result",
                            "amount": {
                                "value": _number(Decimal(result["value"])),
                                "currency": result["currency"],
                            },
                            "line_item": result["line_item"],
                            "project_id": result["project_id"],
                        }
                        for result in results
                    ],
                }
            )
        return self._paged(data, next_offset, {"object": "page"})

    # --- Anthropic ---------------------------------------------------------------------------

    def _anthropic_usage(self, request: Recorded) -> dict[str, Any]:
        page, _, next_offset = self._buckets(request, anthropic=True, limits=ANTHROPIC_USAGE_LIMITS)
        asked = request.query.get("group_by[]", [])
        data = []
        for start, end in page:
            results = _grouped(
                self._inside(self.anthropic.records.usage, start, end),
                ["model", "workspace_id", "api_key_id", "service_tier", "context_window"],
                asked,
                [
                    "uncached_input_tokens",
                    "cache_read_input_tokens",
                    "ephemeral_5m_input_tokens",
                    "ephemeral_1h_input_tokens",
                    "output_tokens",
                    "web_search_requests",
                ],
            )
            data.append(
                {
                    "starting_at": _rfc3339(start),
                    "ending_at": _rfc3339(end),
                    "results": [
                        {
                            "uncached_input_tokens": result["uncached_input_tokens"],
                            "cache_creation": {
                                "ephemeral_1h_input_tokens": result["ephemeral_1h_input_tokens"],
                                "ephemeral_5m_input_tokens": result["ephemeral_5m_input_tokens"],
                            },
                            "cache_read_input_tokens": result["cache_read_input_tokens"],
                            "output_tokens": result["output_tokens"],
                            "server_tool_use": {
                                "web_search_requests": result["web_search_requests"]
                            },
                            "api_key_id": result["api_key_id"],
                            "workspace_id": result["workspace_id"],
                            "model": result["model"],
                            "service_tier": result["service_tier"],
                            "context_window": result["context_window"],
                        }
                        for result in results
                    ],
                }
            )
        return self._paged(data, next_offset, {})

    def _anthropic_costs(self, request: Recorded) -> dict[str, Any]:
        page, _, next_offset = self._buckets(request, anthropic=True, limits=ANTHROPIC_COSTS_LIMITS)
        asked = request.query.get("group_by[]", [])
        by_description = "description" in asked
        data = []
        for start, end in page:
            results = _grouped(
                self._inside(self.anthropic.records.costs, start, end),
                ["workspace_id", "description", "model", "cost_type", "token_type"],
                # The model, cost and token types come with the description (documented:
                # null unless grouping by description).
                [*asked, *(("model", "cost_type", "token_type") if by_description else ())],
                ["amount"],
            )
            data.append(
                {
                    "starting_at": _rfc3339(start),
                    "ending_at": _rfc3339(end),
                    "results": [
                        {
                            "currency": "USD",
                            "amount": str(result["amount"]),
                            "workspace_id": result["workspace_id"],
                            "description": result["description"],
                            "cost_type": result["cost_type"],
                            "context_window": None,
                            "model": result["model"],
                            "service_tier": None,
                            "token_type": result["token_type"],
                        }
                        for result in results
                    ],
                }
            )
        return self._paged(data, next_offset, {})
