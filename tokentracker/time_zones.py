"""The IANA time zones a person may choose for the dashboard, and their validation.

zoneinfo (the standard library, with the tzdata package where the system has no zone
files) is the list: no hand-written table of zones to keep current.
"""

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .models import DEFAULT_TIME_ZONE


@lru_cache(maxsize=1)
def time_zone_names() -> tuple[str, ...]:
    # "localtime", "Factory" and the like name no place: only Area/City names and UTC.
    return tuple(sorted(name for name in available_timezones() if "/" in name or name == "UTC"))


def time_zone_valid(name: str) -> bool:
    return name in time_zone_names()


def zone_of(name: str | None) -> ZoneInfo:
    """The zone named, or UTC for an empty or no longer known name (a tzdata update may
    retire one a profile still holds)."""
    try:
        return ZoneInfo(name) if name and time_zone_valid(name) else ZoneInfo(DEFAULT_TIME_ZONE)
    except ZoneInfoNotFoundError:
        return ZoneInfo(DEFAULT_TIME_ZONE)
