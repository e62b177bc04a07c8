"""Webhooks and the delivery log in Django admin: no URL or secret shown, the log read-only."""

import pytest

from billing.models import AlertDelivery, DeliveryAttempt, WebhookEndpoint
from billing.services.deliveries import alert_deliveries_create
from billing.services.webhooks import webhook_endpoint_create

from .receivers import budget_alert, endpoint_admin

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/services/T0001/s3cr3tT0k3n"


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def test_a_webhook_shows_its_host_only_and_cannot_be_added_here(staff_client, org):
    created = webhook_endpoint_create(
        organization_id=org.id, actor=endpoint_admin(org), name="Ops", kind="webhook", url=URL
    )
    pk = created.endpoint.pk
    for path in ("/admin/billing/webhookendpoint/", f"/admin/billing/webhookendpoint/{pk}/change/"):
        response = staff_client.get(path)
        assert response.status_code == 200
        assert b"https://hooks.example.com/" in response.content
        assert b"s3cr3tT0k3n" not in response.content
        assert created.secret.encode() not in response.content
        assert created.endpoint.secret_ciphertext.encode() not in response.content
    assert staff_client.get("/admin/billing/webhookendpoint/add/").status_code == 403


def test_a_webhook_is_switched_off_here_and_keeps_its_url(staff_client, org):
    endpoint = webhook_endpoint_create(
        organization_id=org.id, actor=endpoint_admin(org), name="Ops", kind="slack", url=URL
    ).endpoint
    response = staff_client.post(
        f"/admin/billing/webhookendpoint/{endpoint.pk}/change/", {"name": "Ops 2"}
    )
    assert response.status_code == 302
    stored = WebhookEndpoint.objects.get()
    assert (stored.name, stored.active, stored.url) == ("Ops 2", False, URL)


def test_the_delivery_log_is_shown_with_its_attempts_and_cannot_be_changed(staff_client, org):
    webhook_endpoint_create(
        organization_id=org.id, actor=endpoint_admin(org), name="Ops", kind="slack", url=URL
    )
    (delivery_id,) = alert_deliveries_create(alert_id=budget_alert(org).pk)
    AlertDelivery.objects.filter(pk=delivery_id).update(attempts=1)
    DeliveryAttempt.objects.create(
        delivery_id=delivery_id,
        number=1,
        started_at="2026-11-20T09:30:00Z",
        finished_at="2026-11-20T09:30:01Z",
        response_status=502,
        error="HTTP 502",
    )

    listed = staff_client.get("/admin/billing/alertdelivery/")
    assert listed.status_code == 200
    assert b"https://hooks.example.com/\xe2\x80\xa6" in listed.content
    page = staff_client.get(f"/admin/billing/alertdelivery/{delivery_id}/change/")
    assert page.status_code == 200
    assert b"HTTP 502" in page.content and b"s3cr3tT0k3n" not in page.content
    assert (
        staff_client.post(
            f"/admin/billing/alertdelivery/{delivery_id}/change/", {"status": "delivered"}
        ).status_code
        == 403
    )
    assert staff_client.get("/admin/billing/alertdelivery/add/").status_code == 403
    assert (
        staff_client.post(
            f"/admin/billing/alertdelivery/{delivery_id}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert AlertDelivery.objects.get().status == "pending"
