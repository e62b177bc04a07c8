import django_filters

from usage.models import CostSource, UsageEvent


class UsageEventFilter(django_filters.FilterSet):
    provider = django_filters.CharFilter()
    model = django_filters.CharFilter()
    project = django_filters.CharFilter()
    endpoint = django_filters.CharFilter()
    cost_source = django_filters.ChoiceFilter(choices=CostSource.choices)
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = UsageEvent
        fields = ["provider", "model", "project", "endpoint", "cost_source"]
