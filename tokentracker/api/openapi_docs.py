"""Our OpenAPI document, and the two texts written from it: the API docs as Markdown and an
llms.txt (https://llmstxt.org) for coding assistants.

Both are generated from the drf-spectacular schema of the running code (the one /api/schema/
serves), so they cannot drift from the endpoints. The Markdown renderer is written here:
the OpenAPI-to-Markdown packages on PyPI either pin exact versions of click and PyYAML
(oasma) or bring openapi-core and its validator stack only to walk a dict and write a file
(openapi-markdown); walking the dict is the small part.

The schema is built from code only, so each process builds it once.
"""

import json
import re
from functools import cache
from typing import Any

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
SCHEMA_REF = "#/components/schemas/"
DOCS_PATH = "/public/api-docs.md"
OPENAPI_PATH = "/public/openapi.json"


@cache
def openapi_json() -> bytes:
    """The document /api/schema/?format=json serves, byte for byte the same renderer."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return OpenApiJsonRenderer().render(schema, renderer_context={})


def openapi_document() -> dict[str, Any]:
    return json.loads(openapi_json())


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation, in the document's order."""
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def anchor(heading: str) -> str:
    """The fragment GitHub (and most Markdown renderers) give a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _tag(operation: dict[str, Any]) -> str:
    return (operation.get("tags") or ["other"])[0]


def _cell(text: Any) -> str:
    """Text that stays inside one Markdown table cell."""
    return " ".join(str(text or "").split()).replace("|", "\\|")


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def type_of(schema: dict[str, Any] | None) -> str:
    """A schema written as a short type: `integer`, `array of [Model](#model)`, ..."""
    if not schema:
        return "any"
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(SCHEMA_REF)
        return f"[{name}](#{anchor(name)})"
    for combiner, word in (("oneOf", " or "), ("anyOf", " or "), ("allOf", " and ")):
        if combiner in schema:
            return word.join(type_of(part) for part in schema[combiner])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "enum" in schema:
        return "one of " + ", ".join(f"`{value}`" for value in schema["enum"] if value is not None)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        kind = f"array of {type_of(schema.get('items'))}"
    elif kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        kind = f"map of {type_of(schema['additionalProperties'])}"
    if schema.get("format"):
        kind += f" ({schema['format']})"
    if schema.get("nullable"):
        kind += " or null"
    return kind


def _fields(schema: dict[str, Any]) -> list[str]:
    required = set(schema.get("required", []))
    rows = ["| Field | Type | Required | Description |", "|---|---|---|---|"]
    for name, field in schema.get("properties", {}).items():
        yes = "yes" if name in required else "no"
        rows.append(
            f"| `{name}` | {_cell(type_of(field))} | {yes} | {_cell(field.get('description'))} |"
        )
    return rows


def _operation(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    lines = [f"### {method} {path}", ""]
    if operation.get("summary"):
        lines += [f"**{_one_line(operation['summary'])}**", ""]
    if operation.get("description"):
        lines += [operation["description"].strip(), ""]
    if any("ApiKey" in need or "cookieAuth" in need for need in operation.get("security", [])):
        lines += ["Authentication: an API key (`Authorization: Bearer ...`) or a session.", ""]
    elif "security" in operation and not any(operation["security"]):
        lines += ["Authentication: none.", ""]
    if operation.get("parameters"):
        lines += ["| Parameter | In | Type | Required | Description |", "|---|---|---|---|---|"]
        for parameter in operation["parameters"]:
            lines.append(
                f"| `{parameter['name']}` | {parameter['in']} "
                f"| {_cell(type_of(parameter.get('schema')))} "
                f"| {'yes' if parameter.get('required') else 'no'} "
                f"| {_cell(parameter.get('description'))} |"
            )
        lines.append("")
    body = operation.get("requestBody", {}).get("content", {})
    for media_type, content in body.items():
        lines += [f"Request body (`{media_type}`): {type_of(content.get('schema'))}", ""]
    if operation.get("responses"):
        lines += ["| Status | Body | Meaning |", "|---|---|---|"]
        for code, response in operation["responses"].items():
            schemas = [c.get("schema") for c in response.get("content", {}).values()]
            shown = " or ".join(type_of(s) for s in schemas) if schemas else "none"
            lines.append(f"| {code} | {_cell(shown)} | {_cell(response.get('description'))} |")
        lines.append("")
    return lines


def api_docs_markdown(document: dict[str, Any]) -> str:
    """Every operation of `document`, grouped by tag, then every schema, as Markdown."""
    info = document["info"]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for method, path, operation in operations(document):
        by_tag.setdefault(_tag(operation), []).append((method, path, operation))
    lines = [
        f"# {info['title']} {info['version']}",
        "",
        info.get("description", ""),
        "",
        f"The machine-readable version is the OpenAPI document at `{OPENAPI_PATH}`.",
        "",
        "## Contents",
        "",
    ]
    lines += [f"- [{tag}](#{anchor(tag)})" for tag in by_tag]
    lines += ["- [Schemas](#schemas)", ""]
    for tag, tagged in by_tag.items():
        lines += [f"## {tag}", ""]
        for method, path, operation in tagged:
            lines += _operation(method, path, operation)
    lines += ["## Schemas", ""]
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        lines += [f"### {name}", ""]
        if schema.get("description"):
            lines += [schema["description"].strip(), ""]
        if schema.get("properties"):
            lines += [*_fields(schema), ""]
        else:
            lines += [f"Type: {type_of(schema)}", ""]
    return "\n".join(lines)


def llms_txt(document: dict[str, Any], *, base_url: str, summary: str) -> str:
    """llms.txt: an H1, a blockquote summary, notes, then H2 sections of link lists (one
    section per tag, one link per operation into the Markdown docs)."""
    info = document["info"]
    docs = base_url + DOCS_PATH
    lines = [
        f"# {info['title']}",
        "",
        f"> {_one_line(info.get('description'))}",
        "",
        _one_line(summary),
        "",
        "## Docs",
        "",
        f"- [API reference]({docs}): every endpoint, its parameters, bodies and answers",
        f"- [OpenAPI document]({base_url + OPENAPI_PATH}): the same, as OpenAPI 3 JSON",
        "",
    ]
    by_tag: dict[str, list[str]] = {}
    for method, path, operation in operations(document):
        heading = f"{method} {path}"
        note = _one_line(operation.get("summary") or operation.get("description"))
        link = f"- [{heading}]({docs}#{anchor(heading)})" + (f": {note}" if note else "")
        by_tag.setdefault(_tag(operation), []).append(link)
    for tag, links in by_tag.items():
        lines += [f"## {tag}", "", *links, ""]
    return "\n".join(lines)
