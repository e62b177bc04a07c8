"""`billing.services.integrations`: connecting, rotating and removing a provider's admin key;
admins and owners only; the key encrypted, never in an error or a log line."""

import logging
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.models import (
    IntegrationStatus,
    ProviderCostBucket,
    ProviderIntegration,
    ProviderUsageBucket,
    SyncRun,
)
from billing.services.integrations import (
    IntegrationInvalid,
    IntegrationPermissionDenied,
    integration_connect,
    integration_remove,
)
from tests.billing.integration_keys import (
    ANTHROPIC_KEY,
    OPENAI_KEY,
    OTHER_OPENAI_KEY,
    assert_no_key_in,
)
from tests.factories import MembershipFactory
from tokentracker.crypto import field_decrypt
from tokentracker.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(org):
    return MembershipFactory(organization=org, role=Role.ADMIN)


def connect(membership, provider="openai", key=OPENAI_KEY, organization=None):
    return integration_connect(
        actor=membership,
        organization_id=(organization or membership.organization).pk,
        provider=provider,
        admin_key=key,
        created_by_id=membership.user_id,
    )


def test_connecting_stores_the_key_encrypted_with_its_last_four(org, admin, caplog):
    caplog.set_level(logging.DEBUG)
    integration = connect(admin)
    stored = ProviderIntegration.objects.get()
    assert stored.pk == integration.pk
    assert (stored.organization_id, stored.provider, stored.key_last_four) == (
        org.pk,
        "openai",
        "Ab3D",
    )
    assert (stored.status, stored.status_message, stored.created_by_id) == (
        IntegrationStatus.NEVER_SYNCED,
        "",
        admin.user_id,
    )
    assert_no_key_in(stored.key_ciphertext)
    assert field_decrypt(stored.key_ciphertext) == OPENAI_KEY
    assert stored.admin_key == OPENAI_KEY
    assert "connected (key ending Ab3D)" in caplog.text
    assert_no_key_in(caplog.text)
    assert_no_key_in(str(stored))


def test_each_provider_has_its_own_integration(org, admin):
    connect(admin)
    connect(admin, "Anthropic", ANTHROPIC_KEY)  # any case
    assert dict(ProviderIntegration.objects.values_list("provider", "key_last_four")) == {
        "openai": "Ab3D",
        "anthropic": "Zz9Q",
    }


def test_whitespace_around_a_pasted_key_is_dropped(admin):
    assert connect(admin, key=f"  {OPENAI_KEY}\n").admin_key == OPENAI_KEY


def test_rotating_replaces_the_key_and_lets_an_invalid_one_be_fixed(org, admin):
    first = connect(admin)
    synced_until = datetime(2026, 3, 1, tzinfo=UTC)
    ProviderIntegration.objects.filter(pk=first.pk).update(
        status=IntegrationStatus.INVALID_KEY,
        status_message="OpenAI refused the admin key (401).",
        usage_synced_until=synced_until,
        last_sync_at=synced_until,
    )
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    rotated = connect(owner, key=OTHER_OPENAI_KEY)
    assert rotated.pk == first.pk
    stored = ProviderIntegration.objects.get()
    assert (stored.key_last_four, stored.admin_key) == ("Ro7T", OTHER_OPENAI_KEY)
    assert (stored.status, stored.status_message) == (IntegrationStatus.NEVER_SYNCED, "")
    # The sync goes on from where it stopped; who connected it first is kept.
    assert stored.usage_synced_until == synced_until
    assert stored.last_sync_at == synced_until
    assert stored.created_by_id == admin.user_id


@pytest.mark.parametrize(
    ("provider", "key", "words"),
    [
        ("openai", "sk-proj-" + "a" * 60, "is not an OpenAI admin key: those start with sk-admin-"),
        ("openai", ANTHROPIC_KEY, "those start with sk-admin-"),
        ("anthropic", OPENAI_KEY, "is not an Anthropic admin key: those start with sk-ant-admin"),
        ("anthropic", "sk-ant-api03-" + "b" * 80, "those start with sk-ant-admin"),
        ("openai", OPENAI_KEY[:30] + " " + OPENAI_KEY[30:], "no spaces or quotes"),
        ("openai", OPENAI_KEY[:30] + "\n" + OPENAI_KEY[30:], "no spaces or quotes"),
        ("openai", OPENAI_KEY[:30] + '"' + OPENAI_KEY[30:], "no spaces or quotes"),
        ("openai", OPENAI_KEY[:30] + "é" + OPENAI_KEY[30:], "no spaces or quotes"),
        ("openai", OPENAI_KEY[:30] + "\x00" + OPENAI_KEY[30:], "no spaces or quotes"),
        ("openai", "sk-admin-" + "c" * 10, "must be 32 to 400 characters long"),
        ("openai", OPENAI_KEY + "d" * 400, "must be 32 to 400 characters long"),
        ("openai", "", "is required: the OpenAI admin key (sk-admin-...)"),
        ("openai", "   ", "is required"),
        ("openai", None, "is required"),
        ("openai", 12345, "is required"),
    ],
)
def test_a_key_of_the_wrong_shape_is_refused_without_quoting_it(admin, provider, key, words):
    with pytest.raises(IntegrationInvalid) as refused:
        connect(admin, provider, key)
    assert refused.value.field == "admin_key"
    assert words in refused.value.message
    assert_no_key_in(refused.value.message)
    assert not ProviderIntegration.objects.exists()


@pytest.mark.parametrize("provider", ["google", "", None, 1, "open ai"])
def test_a_provider_we_do_not_sync_is_refused(admin, provider):
    with pytest.raises(IntegrationInvalid) as refused:
        connect(admin, provider)
    assert refused.value.message == "provider: must be one of openai, anthropic"
    assert not ProviderIntegration.objects.exists()


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_connect_rotate_or_remove(org, admin, role):
    connect(admin)
    someone = MembershipFactory(organization=org, role=role)
    with pytest.raises(IntegrationPermissionDenied):
        connect(someone, key=OTHER_OPENAI_KEY)
    with pytest.raises(IntegrationPermissionDenied):
        integration_remove(actor=someone, organization_id=org.pk, provider="openai")
    assert ProviderIntegration.objects.get().admin_key == OPENAI_KEY


def test_an_admin_of_another_organization_cannot_touch_ours(org, outsider_org, admin):
    connect(admin)
    outsider = MembershipFactory(organization=outsider_org, role=Role.OWNER)
    with pytest.raises(IntegrationPermissionDenied):
        connect(outsider, key=OTHER_OPENAI_KEY, organization=org)
    with pytest.raises(IntegrationPermissionDenied):
        integration_remove(actor=outsider, organization_id=org.pk, provider="openai")
    assert ProviderIntegration.objects.get().admin_key == OPENAI_KEY


def test_the_role_is_checked_before_the_input(org):
    viewer = MembershipFactory(organization=org, role=Role.VIEWER)
    with pytest.raises(IntegrationPermissionDenied):
        connect(viewer, "google", "nonsense")


def test_removing_deletes_the_key_and_its_runs_and_keeps_what_it_synced(org, outsider_org, admin):
    integration = connect(admin)
    connect(admin, "anthropic", ANTHROPIC_KEY)
    SyncRun.objects.create(
        integration=integration, trigger="page", started_at=datetime(2026, 3, 1, tzinfo=UTC)
    )
    ProviderUsageBucket.objects.create(
        organization=org,
        provider="openai",
        start=datetime(2026, 3, 1, tzinfo=UTC),
        width="1d",
        model="gpt-4o",
        input_tokens=1000,
    )
    ProviderCostBucket.objects.create(
        organization=org,
        provider="openai",
        day=date(2026, 3, 1),
        line_item="gpt-4o, input",
        amount=Decimal("1.25"),
        currency="USD",
    )
    outsider_admin = MembershipFactory(organization=outsider_org, role=Role.ADMIN)
    connect(outsider_admin)

    assert integration_remove(actor=admin, organization_id=org.pk, provider="OpenAI") is True
    assert list(
        ProviderIntegration.objects.values_list("organization__slug", "provider").order_by(
            "organization__slug"
        )
    ) == [("acme", "anthropic"), ("outsider", "openai")]
    assert not SyncRun.objects.exists()
    assert ProviderUsageBucket.objects.get().input_tokens == 1000
    assert ProviderCostBucket.objects.get().amount == Decimal("1.25")

    assert integration_remove(actor=admin, organization_id=org.pk, provider="openai") is False
    with pytest.raises(IntegrationInvalid):
        integration_remove(actor=admin, organization_id=org.pk, provider="google")
