"""Sentry, only when SENTRY_DSN is set: an unhandled error in a request reaches the DSN's
host as an envelope, without personal data. The host is an HTTP server of our own on
127.0.0.1; each case runs in a fresh process, since Sentry is set up once at start-up."""

import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings

# A request to a view that raises, over HTTP to Django's WSGI application as production
# runs it (DEBUG off), then Sentry's queue flushed before the process exits.
PROBE = """
import sys, threading, types, urllib.error, urllib.request
from wsgiref.simple_server import WSGIRequestHandler, make_server
import django
django.setup()
import sentry_sdk
from django.core.wsgi import get_wsgi_application
from django.test import override_settings
from django.urls import path

def broken(request):
    raise RuntimeError("sentry probe: the view broke")

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

urls = types.ModuleType("sentry_probe_urls")
urls.urlpatterns = [path("broken", broken)]
sys.modules["sentry_probe_urls"] = urls
server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
threading.Thread(target=server.serve_forever, daemon=True).start()
request = urllib.request.Request(
    f"http://127.0.0.1:{server.server_port}/broken",
    headers={"Cookie": "sessionid=secret-session", "Authorization": "Bearer mtt_secret"},
)
with override_settings(ROOT_URLCONF="sentry_probe_urls", ALLOWED_HOSTS=["127.0.0.1"]):
    try:
        urllib.request.urlopen(request, timeout=10)
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
client = sentry_sdk.get_client()
print(status, client.is_active(), sorted(client.integrations))
sentry_sdk.flush(timeout=10)
server.shutdown()
"""


class Envelopes(ThreadingHTTPServer):
    """Keeps every envelope POSTed to it, decompressed, and answers 200 as Sentry does."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                elif encoding == "br":
                    import brotli

                    body = brotli.decompress(body)
                server.received.append((self.path, body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def dsn(self) -> str:
        return f"http://publickey0123@127.0.0.1:{self.server_address[1]}/42"

    def events(self) -> list[dict]:
        found = []
        for _path, body in self.received:
            lines = body.split(b"\n")
            # envelope header, then (item header, item payload) pairs
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found


@pytest.fixture
def sentry_host():
    server = Envelopes()
    yield server
    server.shutdown()
    server.server_close()


def run_probe(env: dict[str, str]) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "tokentracker.settings",
            "SECURE_SSL_REDIRECT": "false",
            **env,
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_without_a_dsn_sentry_is_not_set_up_and_nothing_is_sent(sentry_host):
    assert run_probe({}) == "500 False []"
    assert sentry_host.received == []


def test_with_a_dsn_an_unhandled_error_reaches_the_dsn_host_without_personal_data(
    sentry_host,
):
    line = run_probe({"SENTRY_DSN": sentry_host.dsn, "SENTRY_ENVIRONMENT": "staging"})
    status, active, integrations = line.split(" ", 2)
    assert (status, active) == ("500", "True")
    assert "'django'" in integrations and "'celery'" in integrations

    assert {path for path, _ in sentry_host.received} == {"/api/42/envelope/"}
    (event,) = [
        event
        for event in sentry_host.events()
        if event.get("exception", {}).get("values", [{}])[-1].get("type") == "RuntimeError"
    ]
    error = event["exception"]["values"][-1]
    assert error["value"] == "sentry probe: the view broke"
    assert (event["environment"], event["release"]) == ("staging", "tokentracker@0.1.0")
    assert event["request"]["url"].endswith("/broken")
    # send_default_pii off: no cookies, no credentials, no client address.
    sent = json.dumps(event)
    assert "secret-session" not in sent and "mtt_secret" not in sent
    assert "cookies" not in event["request"]
    assert "ip_address" not in event.get("user", {})


def test_a_malformed_dsn_stops_start_up():
    result = subprocess.run(
        [sys.executable, "-c", "import tokentracker.settings"],
        env={**os.environ, "SENTRY_DSN": "not a dsn"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SENTRY_DSN is not a valid Sentry DSN" in result.stderr
