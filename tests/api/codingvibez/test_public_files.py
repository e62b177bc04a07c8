"""CodingVibez's published files: /public/openapi.json, /public/llms.txt, /public/api-docs.md,
all generated from the schema of the running code, public and cacheable."""

import re

import pytest

from tokentracker.api.openapi_docs import anchor, type_of

pytestmark = pytest.mark.django_db
FILES = {
    "/public/openapi.json": "application/json",
    "/public/llms.txt": "text/plain; charset=utf-8",
    "/public/api-docs.md": "text/markdown; charset=utf-8",
}
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(schema):
    return [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in METHODS
    ]


@pytest.mark.parametrize(("path", "content_type"), FILES.items())
def test_each_file_is_public_and_cacheable(client, path, content_type):
    response = client.get(path)  # no key
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Cache-Control"] == "public, max-age=3600"
    etag = response["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    revalidated = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert revalidated.status_code == 304
    assert revalidated.content == b""


@pytest.mark.parametrize("path", FILES)
def test_the_files_are_read_only(client, path):
    assert client.post(path, {}).status_code == 405
    assert client.head(path).status_code == 200


def test_the_openapi_document_is_the_one_api_schema_serves(client, schema):
    assert client.get("/public/openapi.json").json() == schema
    assert "/api/tokens" in schema["paths"]
    assert "/api/v1/observe" in schema["paths"]


def test_the_markdown_documents_every_operation_and_schema(client, schema):
    markdown = client.get("/public/api-docs.md").content.decode()
    headings = re.findall(r"^### (.+)$", markdown, flags=re.MULTILINE)
    expected_operations = operations(schema)
    assert {"GET /api/tokens", "POST /api/v1/observe"} <= set(expected_operations)
    # Grouped by tag, so in another order: each operation once, none more.
    documented = [h for h in headings if h.split(" ")[0] in {m.upper() for m in METHODS}]
    assert sorted(documented) == sorted(expected_operations)
    assert set(schema["components"]["schemas"]) <= set(headings)
    # Every in-document link points at a heading that exists.
    anchors = {anchor(line) for line in re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE)}
    assert set(re.findall(r"\]\(#([^)]+)\)", markdown)) <= anchors


def test_the_markdown_shows_what_an_endpoint_takes_and_answers(client):
    markdown = client.get("/public/api-docs.md").content.decode()
    track = markdown.split("### POST /api/tokens/track\n", 1)[1].split("\n### ", 1)[0]
    assert "**Track one LLM call (CodingVibez)**" in track
    assert (
        "Request body (`application/json`): [CodingVibezTrackBodyRequest]"
        "(#codingvibeztrackbodyrequest)"
    ) in track
    assert "| 429 | [CodingVibezError](#codingvibezerror) | RATE_LIMIT_EXCEEDED:" in track
    tokens = markdown.split("### GET /api/tokens\n", 1)[1].split("\n### ", 1)[0]
    assert (
        "| `billingStartDate` | query | string | no | First day of the period. "
        "YYYY-MM-DD or ISO 8601. |"
    ) in tokens


def test_llms_txt_follows_the_llmstxt_format_and_links_every_operation(client, schema):
    text = client.get("/public/llms.txt", HTTP_HOST="testserver").content.decode()
    lines = text.splitlines()
    assert lines[0] == "# TokenTracker API"
    assert lines[1] == ""
    assert lines[2].startswith("> Self-hosted LLM usage, cost and CO2e tracking.")
    # Between the summary and the first H2: notes, never a heading.
    first_section = lines.index("## Docs")
    assert not any(line.startswith("#") for line in lines[3:first_section])
    # After it: H2 sections of "- [name](url)" or "- [name](url): notes" lines only.
    for line in lines[first_section:]:
        assert (
            line == ""
            or line.startswith("## ")
            or re.fullmatch(r"- \[[^\]]+\]\(https?://[^)\s]+\)(: .+)?", line)
        ), line
    methods = "|".join(m.upper() for m in METHODS)
    linked = re.findall(rf"^- \[((?:{methods}) [^\]]+)\]\(([^)]+)\)", text, flags=re.MULTILINE)
    assert sorted(name for name, _ in linked) == sorted(operations(schema))
    docs = "http://testserver/public/api-docs.md"
    assert ("GET /api/tokens", f"{docs}#get-apitokens") in linked
    assert "- [OpenAPI document](http://testserver/public/openapi.json)" in text


def test_llms_txt_states_the_limits_in_force(client):
    text = client.get("/public/llms.txt").content.decode()
    assert "CodingVibez GET 100/min, POST 30/min, sync 10/min, upload 5/min" in text
    assert "Tokenwise reads 100,000/hour" in text


def test_llms_txt_links_resolve_to_headings_of_the_markdown(client):
    text = client.get("/public/llms.txt").content.decode()
    markdown = client.get("/public/api-docs.md").content.decode()
    anchors = {anchor(line) for line in re.findall(r"^#+ (.+)$", markdown, flags=re.MULTILINE)}
    fragments = re.findall(r"/public/api-docs\.md#([^)]+)\)", text)
    assert len(fragments) == len(re.findall(r"^### [A-Z]+ /", markdown, flags=re.MULTILINE))
    assert set(fragments) <= anchors


def test_types_are_written_the_way_a_reader_expects():
    assert type_of({"type": "integer"}) == "integer"
    assert type_of({"type": "string", "format": "date-time"}) == "string (date-time)"
    assert type_of({"$ref": "#/components/schemas/CodingVibezError"}) == (
        "[CodingVibezError](#codingvibezerror)"
    )
    assert type_of({"type": "array", "items": {"type": "number"}}) == "array of number"
    assert type_of({"anyOf": [{"type": "integer"}, {"type": "null"}]}) == "integer or null"
    assert type_of({"enum": ["success", "error", None]}) == "one of `success`, `error`"
    assert type_of({"type": "object", "additionalProperties": {"type": "number"}}) == (
        "map of number"
    )
    assert type_of(None) == "any"
