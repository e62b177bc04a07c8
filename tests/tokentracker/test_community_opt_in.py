"""The community opt-in records when consent was given, whoever switches it (settings page,
Django admin), and an opted-in organization always has that time."""

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps as installed_apps
from django.db import IntegrityError, transaction

from tests.factories import MembershipFactory, OrganizationFactory
from tokentracker.models import Organization, Role
from tokentracker.services import organization_settings_update

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 3, 10, 12, tzinfo=UTC)
LATER = datetime(2026, 4, 2, 9, tzinfo=UTC)


def settings_update(org, *, opted_in):
    admin = MembershipFactory(organization=org, role=Role.ADMIN)
    return organization_settings_update(
        organization=org,
        changed_by=admin,
        payload_storage_enabled=org.payload_storage_enabled,
        community_data_opt_in=opted_in,
    )


def test_the_settings_page_records_when_the_opt_in_was_turned_on_and_clears_it_off(freeze):
    org = OrganizationFactory(slug="acme")
    freeze("2026-03-10T12:00:00Z")

    assert settings_update(org, opted_in=True) == ["community_data_opt_in"]
    org.refresh_from_db()
    assert (org.community_data_opt_in, org.community_opted_in_at) == (True, NOON)

    freeze("2026-04-02T09:00:00Z")
    assert settings_update(org, opted_in=True) == []  # saving again keeps the first consent
    org.refresh_from_db()
    assert org.community_opted_in_at == NOON

    assert settings_update(org, opted_in=False) == ["community_data_opt_in"]
    org.refresh_from_db()
    assert (org.community_data_opt_in, org.community_opted_in_at) == (False, None)


def test_the_admin_records_and_clears_the_consent_time(admin_client, freeze):
    org = OrganizationFactory(slug="acme")
    form = {
        "slug": "acme",
        "name": "Acme",
        "plan": org.plan_id,
        "reporting_currency": "USD",
        "community_data_opt_in": "on",
        **{
            f"{prefix}-{field}": value
            for prefix in ("memberships", "invitations", "api_keys")
            for field, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
        },
    }
    freeze("2026-04-02T09:00:00Z")
    url = f"/admin/tokentracker/organization/{org.pk}/change/"

    response = admin_client.post(url, form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    org.refresh_from_db()
    assert (org.community_data_opt_in, org.community_opted_in_at) == (True, LATER)

    del form["community_data_opt_in"]
    admin_client.post(url, form)
    org.refresh_from_db()
    assert (org.community_data_opt_in, org.community_opted_in_at) == (False, None)


def test_an_opt_in_without_a_consent_time_cannot_be_stored():
    org = OrganizationFactory(slug="acme")

    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.filter(pk=org.pk).update(community_data_opt_in=True)


def test_the_migration_counts_those_already_opted_in_from_the_migration_on(freeze):
    migration = importlib.import_module("tokentracker.migrations.0006_community_opted_in_at")
    opted_in = OrganizationFactory(slug="sharing", community_data_opt_in=True)
    private = OrganizationFactory(slug="private")
    freeze("2026-04-02T09:00:00Z")

    migration.consent_time_for_those_opted_in(installed_apps, None)

    opted_in.refresh_from_db()
    private.refresh_from_db()
    assert opted_in.community_opted_in_at == LATER
    assert private.community_opted_in_at is None
