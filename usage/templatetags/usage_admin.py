from typing import Any

from django import template
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.contrib.admin.views.main import ChangeList

from usage.admin_events import RollupDatesChangeList

register = template.Library()


@register.inclusion_tag("admin/date_hierarchy.html")
def rollup_date_hierarchy(changelist: ChangeList) -> dict[str, Any] | None:
    """Django's date drill-down for the events list, answered from the daily rollups."""
    return date_hierarchy(RollupDatesChangeList(changelist))
