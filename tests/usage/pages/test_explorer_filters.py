"""The explorer's filters without JavaScript: a GET form of checkboxes, and a chip per
active value whose remove link drops exactly that value."""

from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.http import QueryDict

from tokentracker.models import Role

pytestmark = pytest.mark.django_db
WINDOW = {"start_date": "2026-03-20", "end_date": "2026-03-21"}


class FilterForm(HTMLParser):
    """What a browser without JavaScript sends from the form labelled "Filters": its
    inputs (checkboxes only when checked) and selects' selected options, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.select: str | None = None
        self.action = ""
        self.method = ""
        self.fields: list[tuple[str, str]] = []
        self.checkboxes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form" and attributes.get("aria-label") == "Filters":
            self.inside = True
            self.action, self.method = attributes["action"], attributes["method"]
        elif not self.inside:
            return
        elif tag == "input" and "name" in attributes:
            if attributes.get("type") == "checkbox":
                self.checkboxes.append((attributes["name"], attributes["value"]))
                if "checked" not in attributes:
                    return
            self.fields.append((attributes["name"], attributes.get("value") or ""))
        elif tag == "select":
            self.select = attributes["name"]
        elif tag == "option" and self.select and "selected" in attributes:
            self.fields.append((self.select, attributes["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def _form(response) -> FilterForm:
    form = FilterForm()
    form.feed(response.content.decode())
    return form


def test_the_form_sends_the_ticked_values_by_get_and_the_page_applies_them(
    client, sign_in, org, page_events
):
    sign_in(org, Role.VIEWER)
    form = _form(client.get("/o/acme/explorer/", WINDOW))
    assert (form.method, form.action) == ("get", "/o/acme/explorer/")
    # Every recorded value is offered as a checkbox, nothing ticked yet.
    assert ("provider", "anthropic") in form.checkboxes
    assert ("model", "mystery-model") in form.checkboxes
    assert ("project", "beta") in form.checkboxes
    assert all(name not in {"provider", "model"} for name, _ in form.fields)
    # The person ticks two providers and one endpoint, and presses Apply.
    sent = [*form.fields, ("provider", "openai"), ("provider", "anthropic"), ("endpoint", "chat")]
    response = client.get(form.action, _dict(sent))
    totals = response.context["totals"]
    assert (totals.events, str(totals.cost.normalize())) == (3, "0.02575")
    again = _form(response)
    ticked = [field for field in again.fields if field[0] in ("provider", "endpoint")]
    assert ticked == [("provider", "anthropic"), ("provider", "openai"), ("endpoint", "chat")]


def _dict(pairs: list[tuple[str, str]]) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, value in pairs:
        query.appendlist(name, value)
    return query


def _chip_links(content: str) -> dict[str, str]:
    """Each chip's remove link by its label."""
    links = {}
    for part in content.split("data-chip-remove")[:-1]:
        href = part.rsplit('href="', 1)[1].split('"', 1)[0]
        label = content.split(part, 1)[1].split('aria-label="', 1)[1].split('"', 1)[0]
        links[unescape(label)] = unescape(href)
    return links


def test_each_chip_removes_exactly_its_value(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    params = {**WINDOW, "provider": ["openai", "anthropic"], "endpoint": "chat", "page": "2"}
    response = client.get("/o/acme/explorer/", params)
    links = _chip_links(response.content.decode())
    assert list(links) == [
        "Remove filter Provider: OpenAI",
        "Remove filter Provider: Anthropic",
        "Remove filter Endpoint: chat",
    ]
    remaining = parse_qsl(urlsplit(links["Remove filter Provider: OpenAI"]).query)
    assert remaining == [
        ("start_date", "2026-03-20"),
        ("end_date", "2026-03-21"),
        ("provider", "anthropic"),
        ("endpoint", "chat"),
    ]
    narrowed = client.get("/o/acme/explorer/" + links["Remove filter Provider: OpenAI"])
    assert narrowed.context["query"].selected["provider"] == ("anthropic",)
    assert narrowed.context["totals"].events == 0  # anthropic made no chat call
    last = parse_qsl(urlsplit(links["Remove filter Endpoint: chat"]).query)
    assert ("endpoint", "chat") not in last and ("provider", "openai") in last
    content = response.content.decode()
    assert 'href="/o/acme/explorer/?start_date=2026-03-20&amp;end_date=2026-03-21"' in content


def test_no_chips_without_filters(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    content = client.get("/o/acme/explorer/", WINDOW).content.decode()
    assert "data-chip-remove" not in content
    assert "Clear all filters" not in content


def test_the_filter_script_is_a_file_under_the_policy(client, sign_in, org, page_events):
    sign_in(org, Role.VIEWER)
    content = client.get("/o/acme/explorer/", WINDOW).content.decode()
    assert '<script src="/static/js/filter_picker.js" defer></script>' in content
    assert '<select id="f-provider"' not in content  # no more Ctrl-click lists


def test_signed_out_and_outsiders_see_no_filters(client, sign_in, outsider_org, page_events):
    assert client.get("/o/acme/explorer/", {"provider": "openai"}).status_code == 302
    sign_in(outsider_org, Role.OWNER)
    assert client.get("/o/acme/explorer/", {"provider": "openai"}).status_code == 404
