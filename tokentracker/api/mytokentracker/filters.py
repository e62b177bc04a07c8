from datetime import UTC, datetime

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from usage.models import CostSource, UsageEvent


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment, in UTC. PostgreSQL takes offsets up to 15:59 only, and ISO allows
    up to 23:59 (`+18:59` was a 500); every event time is stored in UTC anyway."""

    def to_python(self, value: object) -> datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError("Enter a date and time between years 1 and 9999.") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class UsageEventFilter(django_filters.FilterSet):
    provider = django_filters.CharFilter()
    model = django_filters.CharFilter()
    project = django_filters.CharFilter()
    endpoint = django_filters.CharFilter()
    cost_source = django_filters.ChoiceFilter(choices=CostSource.choices)
    occurred_after = UtcIsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = UtcIsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = UsageEvent
        fields = ["provider", "model", "project", "endpoint", "cost_source"]
