"""Model names as TokenTracker spells them, so a provider's buckets join the events.

The providers report dated snapshots ("gpt-4o-2024-08-06", "claude-sonnet-4-20250514")
where an integration may have reported "gpt-4o": both are resolved to the price catalog's
model (genai-prices' id, or an admin's alias) exactly as ingest resolves an event's model
to price it (`usage.price_book.PriceBook.resolve`). A name the catalog does not know is
kept as reported, lower-cased.
"""

import re

from usage.price_book import price_book_get

_WHITESPACE = re.compile(r"\s")


def model_normalise(provider: str, reported: object) -> str:
    """The catalog's model id for a provider's model name, else the name lower-cased; ""
    for none."""
    name = reported.strip() if isinstance(reported, str) else ""
    if not name:
        return ""
    resolved = price_book_get().resolve(provider, name)
    return resolved[1] if resolved else name.lower()[:200]


def line_item_model(provider: str, line_item: str) -> str:
    """The model an OpenAI cost line names ("gpt-4o-2024-08-06, input" -> "gpt-4o"), or ""
    when the line is not a model's (storage, a tool: their names have spaces)."""
    candidate = line_item.rsplit(",", 1)[0].strip() if "," in line_item else line_item.strip()
    if not candidate or _WHITESPACE.search(candidate):
        return ""
    return model_normalise(provider, candidate)
