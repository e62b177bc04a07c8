"""The Content-Security-Policy (django-csp, settings "HTTPS and CSP") on every page, and
nothing in the pages that it would block: no inline script, event handler, style attribute
or javascript: URL, and an inline <style> only where its hash is in the policy."""

import base64
import hashlib
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import path
from django.utils import timezone

from tests.factories import MembershipFactory
from tests.tokentracker.invitation_links import emailed
from tokentracker.models import Role
from tokentracker.services.invitations import invitation_create
from usage.models import UsageEvent

pytestmark = pytest.mark.django_db

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


def _policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


class _Blocked(HTMLParser):
    """What a strict policy blocks in a page, given its style-src."""

    def __init__(self, style_src: list[str]) -> None:
        super().__init__(convert_charrefs=False)
        self.style_src = style_src
        self.found: list[str] = []
        self._inside: tuple[str, dict] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            elif name == "style":
                self.found.append(f"<{tag} style=...>")
            elif (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")
        for name in ("src", "href"):
            if tag in ("script", "link") and named.get(name, "/").startswith(("http", "//")):
                self.found.append(f"<{tag} {name}={named[name]!r}> (another origin)")
        if tag in ("script", "style"):
            self._inside, self._text = (tag, named), []

    def handle_data(self, data: str) -> None:
        if self._inside:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if not self._inside or tag != self._inside[0]:
            return
        (kind, attrs), text = self._inside, "".join(self._text)
        self._inside = None
        # A JSON data block (json_script) is never executed, so script-src does not apply.
        if kind == "script" and "src" not in attrs and attrs.get("type") != "application/json":
            self.found.append(f"inline <script>{text.strip()[:40]}")
        if kind == "style" and _sha256(text) not in self.style_src:
            self.found.append(f"inline <style> {_sha256(text)} not in style-src")


def _blocked(response) -> list[str]:
    policy = _policy(response["Content-Security-Policy"])
    parser = _Blocked(policy.get("style-src", []))
    parser.feed(response.content.decode())
    return parser.found


def _crash(request):
    raise RuntimeError("a bug")


# The test of the 500 page routes here: a view that fails, and the project's handler.
urlpatterns = [path("crash", _crash)]
handler500 = "tokentracker.api.handlers.server_error"


@pytest.fixture
def owner(client, sign_in, org):
    user = sign_in(org, Role.OWNER, is_staff=True, is_superuser=True)
    recent = (timezone.now() - timedelta(hours=1)).isoformat()
    return user, recent


def test_an_anonymous_page_sends_the_strict_policy_and_no_report_only_one(client):
    response = client.get("/accounts/login")
    assert response.status_code == 200
    assert _policy(response["Content-Security-Policy"]) == STRICT
    assert "Content-Security-Policy-Report-Only" not in response


def test_in_report_only_mode_the_policy_is_reported_not_enforced(client, settings):
    settings.CONTENT_SECURITY_POLICY = None
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": STRICT}
    response = client.get("/accounts/login")
    assert "Content-Security-Policy" not in response
    assert _policy(response["Content-Security-Policy-Report-Only"]) == STRICT


def test_every_page_runs_under_the_policy_with_nothing_it_would_block(
    client, owner, org, outsider_org, record
):
    _, recent = owner
    record(
        {"provider": "openai", "model": "gpt-4o", "input_tokens": 10, "output_tokens": 5,
         "occurred_at": recent, "endpoint": "chat"},
    )  # fmt: skip
    event = UsageEvent.objects.get(organization=org)
    created = client.post("/o/acme/keys/new", {"name": "CI", "prefix": "mtt_", "scope": "write"})
    assert created.status_code == 302
    pages = {
        "/o/acme/": 200,
        "/o/acme/explorer/": 200,
        f"/o/acme/requests/{event.uuid}": 200,
        "/o/acme/carbon/": 200,
        "/o/acme/carbon/methodology": 200,
        "/o/acme/costs/": 200,
        "/o/acme/keys/": 200,  # with the new key shown once, and its copy button
        "/o/acme/members/": 200,
        "/o/acme/settings/": 200,
        "/organizations/new": 200,
        "/accounts/password": 200,
        "/o/outsider/": 404,
        "/api/docs/": 200,
        "/admin/": 200,
        "/admin/usage/usageevent/": 200,
        "/admin/usage/modelprice/add/": 200,
    }
    responses = {page: client.get(page) for page in pages}
    assert {page: response.status_code for page, response in responses.items()} == pages
    blocked = {page: _blocked(response) for page, response in responses.items()}
    assert blocked == {page: [] for page in pages}
    # The pages that have behaviour load it as files from static/js.
    assert b'<button type="button" class="secondary" data-copy="#new-key" hidden>Copy</button>' in (
        responses["/o/acme/keys/"].content
    )
    assert b'<script src="/static/js/api_keys.js" defer></script>' in (
        responses["/o/acme/keys/"].content
    )
    assert b'<script src="/static/js/charts.js" defer></script>' in responses["/o/acme/"].content
    assert b'<script src="/api/docs/?script="></script>' in responses["/api/docs/"].content


def test_pages_for_visitors_and_forbidden_changes_have_nothing_the_policy_blocks(
    client, sign_in, org
):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    invited = emailed(
        lambda: invitation_create(
            invited_by=owner, email="new@example.com", role=Role.MEMBER, base_url="http://x"
        )
    )
    anonymous = Client()
    pages = {
        "/accounts/login": 200,
        "/accounts/signup": 200,
        "/accounts/password/reset": 200,
        f"/invitations/{invited.token}": 200,
        "/invitations/not-a-token": 404,
        "/no-such-page": 404,
        "/admin/login/": 200,
    }
    answers = {page: anonymous.get(page) for page in pages}
    assert {page: response.status_code for page, response in answers.items()} == pages
    blocked = {page: _blocked(response) for page, response in answers.items()}
    assert blocked == {page: [] for page in pages}
    sign_in(org, Role.VIEWER)
    refused = client.post("/o/acme/settings/", {"payload_storage_enabled": "on"})
    assert refused.status_code == 403
    assert _blocked(refused) == []


def test_the_500_page_keeps_its_inline_style_allowed_by_its_hash(settings):
    settings.ROOT_URLCONF = __name__
    response = Client(raise_request_exception=False).get("/crash")
    assert response.status_code == 500
    assert b"<style>" in response.content
    policy = _policy(response["Content-Security-Policy"])
    assert policy == {**STRICT, "style-src": ["'self'", policy["style-src"][1]]}
    assert _blocked(response) == []


SOURCE_BLOCKED = re.compile(
    r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/json\")[^>]*>"  # inline script
    r"|\son[a-z]+=|\sstyle=|javascript:",  # handlers, style attributes, script URLs
    re.IGNORECASE,
)


def test_no_template_holds_inline_script_handlers_or_style_attributes():
    templates = Path(settings.BASE_DIR) / "templates"
    found = {
        str(template.relative_to(templates)): SOURCE_BLOCKED.findall(template.read_text())
        for template in sorted(templates.rglob("*.html"))
    }
    assert {name: hits for name, hits in found.items() if hits} == {}
    assert len(found) == 64  # 403_csrf, audit_log, billing/plan, partials/plan_usage: 48-51;
    # the data-mode switch, filter chips, stack control, stacked chart and table: 52-56;
    # usage/sessions, usage/session_detail: 57-58;
    # accounts/account, usage/partials/{periods,change,bucket_label}: 59-62;
    # the dimension breakdown table: 63; a breakdown row's change cells: 64
