"""Writes of a person's own preferences."""

from django.contrib.auth.models import AbstractBaseUser

from ..errors import DomainError
from ..models import UserProfile
from ..time_zones import time_zone_valid


class TimeZoneInvalid(DomainError):
    """Not an IANA time zone name this server knows."""


def profile_time_zone_set(*, user: AbstractBaseUser, time_zone: str) -> UserProfile:
    if not time_zone_valid(time_zone):
        raise TimeZoneInvalid(f"“{time_zone}” is not a time zone; choose one from the list.")
    profile, _ = UserProfile.objects.update_or_create(user=user, defaults={"time_zone": time_zone})
    return profile
