"""Writes of the billing app. `UNCHANGED` is the default of every update service's
keywords: a field left out keeps its stored value (None is a value, so it cannot be)."""


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED = _Unchanged()
