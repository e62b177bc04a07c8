"""A person's own preferences, whichever organizations they belong to."""

from django.conf import settings
from django.db import models

DEFAULT_TIME_ZONE = "UTC"


class UserProfile(models.Model):
    """One per user, created on first save of a preference (a user without one has the
    defaults). `time_zone` is an IANA name (`zoneinfo.available_timezones()`): the
    dashboard pages count days and hours in it; the APIs always speak UTC."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    time_zone = models.CharField(max_length=64, default=DEFAULT_TIME_ZONE)

    def __str__(self) -> str:
        return f"{self.user} ({self.time_zone})"
