"""The plans sold through Stripe, Indie and Pro, carry quotas a step above the default
plan's per-minute limits (billing migration 0010), without undoing an admin's edit."""

import importlib

import pytest
from django.apps import apps

from tokentracker.models import Plan

pytestmark = pytest.mark.django_db

lifting = importlib.import_module("billing.migrations.0010_indie_and_pro_plans")
LIMITS = ("reads_per_minute", "writes_per_minute", "syncs_per_minute", "uploads_per_minute")


def limits() -> dict[str, tuple[int, ...]]:
    return {
        plan.slug: tuple(getattr(plan, field) for field in LIMITS)
        for plan in Plan.objects.filter(slug__in=["indie", "pro"])
    }


def test_indie_and_pro_lift_the_per_minute_limits_and_keep_tokenwises_tiers():
    assert limits() == {"indie": (200, 60, 20, 10), "pro": (500, 150, 50, 25)}
    plans = {plan.slug: plan for plan in Plan.objects.filter(slug__in=["indie", "pro"])}
    assert (plans["indie"].hourly_request_limit, plans["pro"].hourly_request_limit) == (
        1_000,
        10_000,
    )


def test_undoing_it_restores_the_defaults_and_doing_it_again_lifts_them_again():
    lifting.restore_limits(apps, None)
    assert limits() == {"indie": (100, 30, 10, 5), "pro": (100, 30, 10, 5)}
    lifting.lift_limits(apps, None)
    assert limits() == {"indie": (200, 60, 20, 10), "pro": (500, 150, 50, 25)}


def test_a_limit_an_admin_changed_is_kept_either_way():
    lifting.restore_limits(apps, None)
    Plan.objects.filter(slug="pro").update(reads_per_minute=777)
    lifting.lift_limits(apps, None)
    assert limits()["pro"] == (777, 150, 50, 25)
    Plan.objects.filter(slug="indie").update(uploads_per_minute=3)
    lifting.restore_limits(apps, None)
    assert limits() == {"indie": (100, 30, 10, 3), "pro": (777, 30, 10, 5)}


def test_a_plan_an_admin_removed_is_not_made_again():
    Plan.objects.filter(slug="indie").delete()
    lifting.lift_limits(apps, None)
    assert set(limits()) == {"pro"}
