from urllib.parse import urlencode

from django import template
from django.urls import reverse

from usage.views.sessions import session_path

register = template.Library()


@register.simple_tag
def session_url(org_slug: str, session_id: str) -> str:
    """The session page of `session_id`, its id quoted whole (see usage.views.sessions)."""
    return session_path(org_slug, session_id)


@register.simple_tag
def developer_sessions_url(org_slug: str, developer_id: str) -> str:
    """The sessions list narrowed to one developer's sessions."""
    return reverse("sessions", args=[org_slug]) + "?" + urlencode({"developer": developer_id})
