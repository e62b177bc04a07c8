"""Page reads of raw events that cost the same at any volume: a paginator whose COUNT(*)
stops at a cap, and a statement timeout for what still might not.

An exact count of a long window reads every one of its index entries (2.2 s for 3M events
at 10M, cold: bench/RESULTS.md), on every page view. Counting at most CAP + 1 rows (a
LIMITed subquery) costs the same at any volume and still tells "exactly n" from "more than
CAP"; past the cap there are CAP / per_page pages, so an OFFSET never goes past CAP rows
either.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

from django.core.paginator import Paginator
from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet


class CappedCountPaginator(Paginator):
    CAP = 10_000

    @cached_property
    def _counted(self) -> int:
        rows = self.object_list
        if isinstance(rows, QuerySet):
            # Which CAP + 1 rows are counted does not change how many there are: without
            # this, a sliced count keeps the page's ORDER BY and sorts every row matched
            # (the sessions list by cost: 20,000 rows sorted to count 10,001).
            rows = rows.order_by()
        return rows[: self.CAP + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.CAP)

    @property
    def capped(self) -> bool:
        """Whether there are more rows than were counted (and can be paged to)."""
        return self._counted > self.CAP


class ReadTimedOut(Exception):
    """A page read ran past its statement timeout and was cancelled by the database."""


@contextmanager
def statement_timeout(milliseconds: int) -> Iterator[None]:
    """On PostgreSQL, cancel any statement of the block that runs longer than
    `milliseconds` and raise `ReadTimedOut`: a page view must not hold a worker and a
    database core for seconds on a query the user can narrow. `SET LOCAL` (set_config(...,
    true)) ends with the block's transaction, so the pooled connection keeps its default.
    Elsewhere (SQLite, the embedded default) the block runs as it is."""
    if connection.vendor != "postgresql":
        yield
        return
    from psycopg.errors import QueryCanceled

    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true)", [str(milliseconds)]
                )
            yield
    except OperationalError as exc:
        if isinstance(exc.__cause__, QueryCanceled):
            raise ReadTimedOut(str(exc.__cause__)) from exc
        raise
