"""Reads of the carbon app: the current methodology version and its document as HTML."""

from functools import lru_cache
from pathlib import Path

import markdown
from django.utils.safestring import SafeString, mark_safe

from .carbon_book import carbon_book_get


def methodology_current() -> str:
    return carbon_book_get().methodology_version


METHODOLOGY_DOCUMENT = Path(__file__).with_name("METHODOLOGY.md")


def markdown_html(text: str) -> SafeString:
    """Markdown to HTML with tables and fenced code. Raw HTML in the text is escaped, not
    passed through (Python-Markdown passes it by default): the document is ours, but an
    edit that pastes a tag must show the tag, not run it."""
    converter = markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists"], output_format="html"
    )
    converter.preprocessors.deregister("html_block")
    converter.inlinePatterns.deregister("html")
    # Safe: with the raw-HTML processors removed, every text node is escaped on output.
    return mark_safe(converter.convert(text))


@lru_cache(maxsize=1)
def methodology_html() -> SafeString:
    """carbon/METHODOLOGY.md rendered once per process: the page and the file never
    disagree, and the file only changes with a deploy."""
    return markdown_html(METHODOLOGY_DOCUMENT.read_text(encoding="utf-8"))
