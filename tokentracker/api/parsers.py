"""The JSON parser of every DRF door (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES, and the views
that accept JSON only): a body it cannot take is a ParseError, which the exception handler
answers in the surface's own dialect, never a 500.

DRF's JSONParser turns only ValueError into a ParseError. Deep nesting (`[[[[...` a thousand
times) makes `json` raise RecursionError instead, and PostgreSQL stores no NUL character in
text or jsonb, so a body holding one could only fail later, at the write, as a DataError.
How deep `json` goes before RecursionError depends on the interpreter (under 1,000 levels
on 3.11, over 3,000 on 3.13), so the limit is ours, MAX_DEPTH, the same on every Python.
"""

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

NUL = "\x00"
# Far beyond any event's metadata, far below what SQLite's JSON functions (1,000 levels)
# or a recursive walk of the value would choke on.
MAX_DEPTH = 100


class TooDeep(Exception):
    pass


def depth_check(value: Any) -> None:
    """TooDeep if a parsed JSON value nests past MAX_DEPTH levels, for the doors that read
    JSON without nul_path's walk (OTLP). A loop, not recursion, for the same reason."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise TooDeep
        if isinstance(item, dict):
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)


def nul_path(value: Any) -> str | None:
    """Where the first NUL character is in a parsed JSON value (a key or a string), as a
    dotted path (`scores.<key>`), or None; TooDeep past MAX_DEPTH levels. A loop, not
    recursion: the value can be nested nearly as deep as the interpreter's recursion limit."""
    pending: list[tuple[str, Any, int]] = [("", value, 0)]
    while pending:
        path, item, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise TooDeep
        if isinstance(item, str):
            if NUL in item:
                return path or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{path}.{key}" if path else str(key)
                if NUL in key:
                    return child_path.replace(NUL, "\\u0000")
                pending.append((child_path, child, depth + 1))
        elif isinstance(item, list):
            pending.extend(
                (f"{path}[{index}]", child, depth + 1) for index, child in enumerate(item)
            )
    return None


class JSONParser(parsers.JSONParser):
    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: dict | None = None
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
            where = nul_path(data)
        except (RecursionError, TooDeep):
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
        if where is not None:
            raise ParseError(f"JSON parse error - {where} must not contain NUL characters.")
        return data
