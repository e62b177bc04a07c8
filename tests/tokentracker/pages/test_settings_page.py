"""The settings page `/o/<slug>/settings/`: every member reads it, admins and owners
switch payload storage and the community opt-in, and the plan's quotas with their use."""

import re
from datetime import UTC, date, datetime

import pytest
from django.core.cache import cache

from tokentracker.models import DailyEventCount, MonthlyLiveEventCount, Organization, Role
from tokentracker.ratelimit import rate_limit_hit

pytestmark = pytest.mark.django_db
PATH = "/o/acme/settings/"


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_switch_payload_storage_and_the_community_opt_in(
    client, sign_in, org, role
):
    sign_in(org, role)
    response = client.post(PATH, {"payload_storage_enabled": "on"}, follow=True)
    assert response.redirect_chain == [(PATH, 302)]
    assert "Settings saved." in response.content.decode()
    org.refresh_from_db()
    assert (org.payload_storage_enabled, org.community_data_opt_in) == (True, False)
    client.post(PATH, {"community_data_opt_in": "on"})
    org.refresh_from_db()
    assert (org.payload_storage_enabled, org.community_data_opt_in) == (False, True)


def test_saving_unchanged_settings_says_nothing_changed(client, sign_in, org):
    sign_in(org, Role.OWNER)
    response = client.post(PATH, {}, follow=True)
    assert "Nothing to change: settings kept." in response.content.decode()


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_see_the_settings_read_only_and_cannot_change_them(
    client, sign_in, org, role
):
    sign_in(org, role)
    response = client.get(PATH)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Only admins and owners change these settings" in content
    assert 'name="payload_storage_enabled" disabled' in content
    assert "Save settings" not in content
    assert client.post(PATH, {"payload_storage_enabled": "on"}).status_code == 403
    assert Organization.objects.get(pk=org.pk).payload_storage_enabled is False


def test_the_form_needs_the_csrf_token(client, sign_in, org):
    from django.test import Client

    user = sign_in(org, Role.OWNER)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post(PATH, {"payload_storage_enabled": "on"}).status_code == 403
    assert Organization.objects.get(pk=org.pk).payload_storage_enabled is False


def test_quotas_show_todays_events_this_hours_requests_and_this_months_live_events(
    client, sign_in, org, freeze
):
    freeze("2026-03-21T12:30:00Z")
    org.plan.daily_event_limit = 5000
    org.plan.hourly_request_limit = 300
    org.plan.free_live_events_per_month = 1000
    org.plan.save()
    DailyEventCount.objects.create(organization=org, day=date(2026, 3, 21), events=1234)
    DailyEventCount.objects.create(organization=org, day=date(2026, 3, 20), events=999)
    MonthlyLiveEventCount.objects.create(organization=org, month=date(2026, 3, 1), events=42)
    now = datetime(2026, 3, 21, 12, 30, tzinfo=UTC).timestamp()  # the frozen moment
    for _ in range(3):
        rate_limit_hit(scope="tokenwise", subject=str(org.pk), limit=300, now=now)
    sign_in(org, Role.VIEWER)
    response = client.get(PATH)
    usage = response.context["usage"]
    assert (usage.events_today, usage.live_events_this_month) == (1234, 42)
    assert [(h.surface, h.count) for h in usage.hourly] == [("Tokenwise", 3)]
    content = response.content.decode()
    assert "API requests this hour: Tokenwise" in content
    assert '<td class="num">5,000</td>' in content
    assert "1,234 <meter" in content
    assert '<td class="num">1,000</td>' in content
    assert '<td class="num">42</td>' in content


def test_quotas_list_no_request_count_for_surfaces_that_are_not_rate_limited(client, sign_in, org):
    sign_in(org, Role.OWNER)
    content = client.get(PATH).content.decode()
    assert content.count("API requests this hour:") == 1
    assert "Native and compatibility APIs" not in content


def test_an_unlimited_live_allowance_says_unlimited(client, sign_in, org):
    sign_in(org, Role.OWNER)
    assert '<td class="num">unlimited</td>' in client.get(PATH).content.decode()


def test_an_unreachable_cache_shows_the_hourly_count_as_unknown(client, sign_in, org, monkeypatch):
    sign_in(org, Role.OWNER)

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", down)
    response = client.get(PATH)
    assert [h.count for h in response.context["usage"].hourly] == [None]
    assert '<span class="muted">unknown</span>' in response.content.decode()


def test_an_outsider_gets_404(client, sign_in, org, outsider_org):
    sign_in(outsider_org, Role.OWNER)
    assert client.get(PATH).status_code == 404
    assert client.post(PATH, {"payload_storage_enabled": "on"}).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, org):
    response = client.get(PATH)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login?next={PATH}"


def test_an_admin_declares_the_scale_of_the_quality_scores(client, sign_in, org):
    assert org.quality_scale == ""  # nothing inferred until declared
    sign_in(org, Role.ADMIN)
    page = client.get(PATH).content.decode()
    assert '<select name="quality_scale"' in page
    response = client.post(PATH, {"quality_scale": "0-100"}, follow=True)
    assert "Settings saved." in response.content.decode()
    org.refresh_from_db()
    assert org.quality_scale == "0-100"
    assert 'value="0-100" selected' in client.get(PATH).content.decode()


def test_an_unknown_quality_scale_is_refused_and_changes_nothing(client, sign_in, org):
    sign_in(org, Role.OWNER)
    response = client.post(PATH, {"quality_scale": "0-10"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    org.refresh_from_db()
    assert org.quality_scale == ""


def test_a_member_cannot_declare_the_quality_scale(client, sign_in, org):
    sign_in(org, Role.MEMBER)
    assert client.post(PATH, {"quality_scale": "0-1"}).status_code == 403
    assert Organization.objects.get(pk=org.pk).quality_scale == ""


def test_an_outsider_cannot_declare_another_organizations_quality_scale(
    client, sign_in, org, outsider_org
):
    sign_in(outsider_org, Role.OWNER)
    assert client.post(PATH, {"quality_scale": "0-1"}).status_code == 404
    assert Organization.objects.get(pk=org.pk).quality_scale == ""


def test_a_post_without_the_quality_scale_keeps_the_declared_one(client, sign_in, org):
    org.quality_scale = "0-100"
    org.save(update_fields=["quality_scale"])
    sign_in(org, Role.OWNER)
    client.post(PATH, {"payload_storage_enabled": "on"})
    org.refresh_from_db()
    assert (org.payload_storage_enabled, org.quality_scale) == (True, "0-100")
    client.post(PATH, {"quality_scale": ""})
    org.refresh_from_db()
    assert org.quality_scale == ""


def test_quotas_show_the_plans_codingvibez_limits_per_minute(client, sign_in, org):
    plan = org.plan
    plan.reads_per_minute, plan.writes_per_minute = 120, 35
    plan.syncs_per_minute, plan.uploads_per_minute = 12, 6
    plan.save()
    sign_in(org, Role.MEMBER)
    rows = re.findall(
        r"<td>CodingVibez (.+?) per minute</td>\s*<td[^>]*>.*?</td>\s*<td class=\"num\">(\d+)</td>",
        client.get(PATH).content.decode(),
    )
    assert rows == [
        ("reads (GET)", "120"),
        ("writes (POST, ...)", "35"),
        ("syncs (/api/sync*)", "12"),
        ("receipt uploads", "6"),
    ]
