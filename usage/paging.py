"""A paginator whose COUNT(*) stops at a cap, for lists of raw events.

An exact count of a long window reads every one of its index entries (2.2 s for 3M events
at 10M, cold: bench/RESULTS.md), on every page view. Counting at most CAP + 1 rows (a
LIMITed subquery) costs the same at any volume and still tells "exactly n" from "more than
CAP"; past the cap there are CAP / per_page pages, so an OFFSET never goes past CAP rows
either.
"""

from functools import cached_property

from django.core.paginator import Paginator


class CappedCountPaginator(Paginator):
    CAP = 10_000

    @cached_property
    def _counted(self) -> int:
        return self.object_list[: self.CAP + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.CAP)

    @property
    def capped(self) -> bool:
        """Whether there are more rows than were counted (and can be paged to)."""
        return self._counted > self.CAP
