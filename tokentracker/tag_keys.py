"""The metadata keys an organization breaks its usage down by in the explorer (issue 20).

Kept here, under tenancy, so the settings page, the admin and the model validate them the
same way; the usage app keeps the dimension rollups (usage.dimensions) and rebuilds them
when `tag_keys_changed` is sent.
"""

import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.dispatch import Signal

MAX_TAG_KEYS = 5
TAG_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")

# Sent (organization_id=) in the transaction that changed an organization's tag keys.
tag_keys_changed = Signal()


def tag_keys_problems(keys: Any) -> list[str]:
    """Why `keys` cannot be an organization's tag keys (an empty list: it can)."""
    if not isinstance(keys, list):
        return ["Tag keys are a list of metadata keys."]
    problems = []
    if len(keys) > MAX_TAG_KEYS:
        problems.append(f"At most {MAX_TAG_KEYS} tag keys; {len(keys)} were given.")
    for key in keys:
        if not isinstance(key, str) or not TAG_KEY_PATTERN.match(key):
            shown = str(key)[:50]
            problems.append(f"“{shown}” is not a tag key: 1 to 40 letters, digits, “_” or “-”.")
    if len(set(map(str, keys))) != len(keys):
        problems.append("Each tag key can be given once.")
    return problems


def tag_keys_validate(value: Any) -> None:
    problems = tag_keys_problems(value)
    if problems:
        raise ValidationError(problems)


def tag_keys_parse(text: str) -> list[str]:
    """Keys typed in one field, separated by commas or spaces, in order, blanks skipped."""
    return [key for key in re.split(r"[,\s]+", text.strip()) if key]


def tag_keys_text(keys: Sequence[str]) -> str:
    return ", ".join(keys)
