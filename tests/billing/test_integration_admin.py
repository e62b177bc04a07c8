"""Provider integrations in Django admin: listed with their status, read-only with their
syncs below, never the key (its last four only); none added here."""

import pytest

from billing.services.sync import integration_sync
from tests.billing.sync_helpers import integration_make

pytestmark = pytest.mark.django_db

KEY = "sk-admin-" + "Q" * 40 + "w9Zt"


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def test_integrations_are_listed_and_shown_without_their_key(
    staff_client, org, outsider_org, provider_server
):
    provider_server.openai.cost(
        day="2026-11-02", line_item="gpt-4o-2024-08-06, input", project_id="p", value="1"
    )
    integration = integration_make(org, "openai", key=KEY)
    integration_make(outsider_org, "anthropic")
    integration_sync(integration.pk, trigger="page")

    listing = staff_client.get("/admin/billing/providerintegration/?provider=openai")
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    page = staff_client.get(f"/admin/billing/providerintegration/{integration.pk}/change/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "w9Zt" in content
    assert (
        KEY not in content and "QQQQ" not in content and integration.key_ciphertext not in content
    )
    # The sync below it, by its trigger.
    assert "Sync runs" in content and "Integrations page" in content
    assert page.context["adminform"].form.fields == {}  # every field read-only
    assert staff_client.get("/admin/billing/providerintegration/add/").status_code == 403
