from urllib.parse import urlencode

from django import template
from django.urls import reverse

from usage.views.sessions import DATA_PARAM, session_path

register = template.Library()


@register.simple_tag
def session_url(org_slug: str, session_id: str, livemode: bool = True) -> str:
    """The session page of `session_id`, its id quoted whole (see usage.views.sessions)."""
    return session_path(org_slug, session_id, livemode=livemode)


@register.simple_tag
def developer_sessions_url(org_slug: str, developer_id: str, livemode: bool = True) -> str:
    """The sessions list narrowed to one developer's sessions."""
    params = {"developer": developer_id, **({} if livemode else {DATA_PARAM: "test"})}
    return reverse("sessions", args=[org_slug]) + "?" + urlencode(params)
