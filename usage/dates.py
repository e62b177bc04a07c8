"""The one parser of the date parameters every analytics surface takes.

A value is `YYYY-MM-DD` or an ISO 8601 date-time, UTC when it has no offset. A bare date
used as an end includes that whole day. Values are kept between 2000 (ingest refuses older
events) and 9998, so every window's arithmetic (a day on, a month on, the next hour) stays
inside `datetime`'s range instead of overflowing into a 500.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.utils.dateparse import parse_datetime

from usage.schemas import EARLIEST

LATEST = datetime(9999, 1, 1, tzinfo=UTC)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class DateInvalid(ValueError):
    """The reason a date parameter is refused, phrased to follow its name."""


@dataclass(frozen=True)
class Bound:
    moment: datetime
    date_only: bool

    @property
    def end_exclusive(self) -> datetime:
        """As the end of a window: a bare date ends after its whole day."""
        return self.moment + timedelta(days=1) if self.date_only else self.moment


def bound_parse(raw: str) -> Bound:
    try:
        if _DATE_ONLY.match(raw):
            day = date.fromisoformat(raw)
            bound = Bound(datetime(day.year, day.month, day.day, tzinfo=UTC), True)
        else:
            moment = parse_datetime(raw)
            if moment is None:
                raise ValueError(raw)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            bound = Bound(moment.astimezone(UTC), False)
    except (ValueError, OverflowError):
        raise DateInvalid("must be a date (YYYY-MM-DD) or an ISO 8601 datetime") from None
    if not EARLIEST <= bound.moment < LATEST:
        raise DateInvalid("must be between 2000-01-01 and 9998-12-31")
    return bound


def iso_z(moment: datetime) -> str:
    """A moment as every surface writes one: ISO 8601 in UTC, with Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
