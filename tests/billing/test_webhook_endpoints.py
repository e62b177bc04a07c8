"""Webhook endpoints: validated URLs, a Standard Webhooks secret, both encrypted at rest;
added, changed, deleted and tested by admins and owners only."""

import base64

import pytest
from cryptography.fernet import Fernet

from billing.models import AlertDelivery, WebhookEndpoint
from billing.services.deliveries import (
    alert_deliveries_create,
    alert_delivery_attempt,
    webhook_test_send,
)
from billing.services.webhooks import (
    WebhookEndpointInvalid,
    WebhookEndpointNotFound,
    WebhookPermissionDenied,
    url_shown,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_update,
)
from tests.factories import MembershipFactory
from tokentracker.crypto import DecryptionFailed
from tokentracker.models import Role

from .receivers import budget_alert, endpoint_admin

pytestmark = pytest.mark.django_db

SLACK = "https://hooks.slack.com/services/T0001/B0002/s3cr3tT0k3n"


def test_a_json_webhook_gets_a_whsec_secret_and_both_are_stored_encrypted(org):
    created = webhook_endpoint_create(
        organization_id=org.id,
        actor=endpoint_admin(org),
        name=" Ops ",
        kind="webhook",
        url="https://ops.example/in?k=1",
    )
    assert created.secret.startswith("whsec_")
    assert len(base64.b64decode(created.secret.removeprefix("whsec_"))) == 32
    stored = WebhookEndpoint.objects.get()
    assert (stored.name, stored.kind, stored.url_shown, stored.active) == (
        "Ops",
        "webhook",
        "https://ops.example/…",
        True,
    )
    assert "ops.example" not in stored.url_ciphertext
    assert created.secret not in stored.secret_ciphertext
    assert (stored.url, stored.signing_secret) == ("https://ops.example/in?k=1", created.secret)
    other = webhook_endpoint_create(
        organization_id=org.id,
        actor=endpoint_admin(org),
        name="Two",
        kind="webhook",
        url="https://ops.example/in",
    )
    assert other.secret != created.secret


def test_a_slack_endpoint_has_no_secret_and_shows_only_its_host(org):
    created = webhook_endpoint_create(
        organization_id=org.id, actor=endpoint_admin(org), name="S", kind="slack", url=SLACK
    )
    assert created.secret == ""
    assert created.endpoint.secret_ciphertext == ""
    assert created.endpoint.url_shown == "https://hooks.slack.com/…"
    assert created.endpoint.url == SLACK


def test_an_endpoint_whose_key_was_removed_fails_its_delivery_for_good(org, settings):
    endpoint = webhook_endpoint_create(
        organization_id=org.id, actor=endpoint_admin(org), name="S", kind="slack", url=SLACK
    ).endpoint
    (delivery_id,) = alert_deliveries_create(alert_id=budget_alert(org).pk)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(DecryptionFailed):
        assert WebhookEndpoint.objects.get(pk=endpoint.pk).url
    outcome = alert_delivery_attempt(delivery_id=delivery_id, attempts_done=0)
    assert (outcome.status, outcome.retry_in) == ("failed", None)
    assert AlertDelivery.objects.get().last_error == (
        "The endpoint's URL cannot be decrypted with FIELD_ENCRYPTION_KEY."
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://example.com", "https://example.com/"),
        ("https://example.com/", "https://example.com/"),
        ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/…"),
        ("https://[::1]:9000/?q=1", "https://[::1]:9000/…"),
        ("https://user:pw@example.com/a", "https://example.com/…"),
    ],
)
def test_url_shown_keeps_the_scheme_and_host_only(url, shown):
    assert url_shown(url) == shown


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"url": "ftp://files.example/hook"}, "url", "must start with http:// or https://"),
        ({"url": "https://"}, "url", "must name a host"),
        ({"url": "https:///only/a/path"}, "url", "must name a host"),
        ({"url": "https://user:pass@example.com/h"}, "url", "must not contain a user name"),
        ({"url": "https://token@example.com/h"}, "url", "must not contain a user name"),
        ({"url": "javascript:alert(1)"}, "url", "must start with http:// or https://"),
        ({"url": "example.com/hook"}, "url", "must start with http:// or https://"),
        ({"url": "https://example.com:99999/"}, "url", "is not a valid URL"),
        ({"url": "https://exa mple.com/"}, "url", "must not contain spaces"),
        ({"url": "https://example.com/" + "a" * 2048}, "url", "must be at most 2048"),
        ({"url": None}, "url", "is required"),
        ({"url": 42}, "url", "is required"),
        ({"name": ""}, "name", "is required"),
        ({"name": "x" * 101}, "name", "must be text of at most 100"),
        ({"kind": "teams"}, "kind", "must be one of slack, webhook"),
        ({"active": "yes"}, "active", "must be true or false"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(org, changes, field, message):
    fields = {"name": "Ops", "kind": "webhook", "url": "https://ops.example/in", **changes}
    with pytest.raises(WebhookEndpointInvalid) as raised:
        webhook_endpoint_create(organization_id=org.id, actor=endpoint_admin(org), **fields)
    assert raised.value.field == field
    assert raised.value.details == {field: [raised.value.message]}
    assert raised.value.message.startswith(message)
    assert not WebhookEndpoint.objects.exists()


def test_an_update_changes_what_it_names_and_a_bad_one_changes_nothing(org):
    created = webhook_endpoint_create(
        organization_id=org.id,
        actor=endpoint_admin(org),
        name="Ops",
        kind="webhook",
        url="https://a.example/1",
    )
    endpoint = webhook_endpoint_update(
        organization_id=org.id,
        actor=endpoint_admin(org),
        endpoint_id=created.endpoint.pk,
        url="http://b.example:81/2",
    )
    assert (endpoint.name, endpoint.url, endpoint.url_shown) == (
        "Ops",
        "http://b.example:81/2",
        "http://b.example:81/…",
    )
    assert endpoint.signing_secret == created.secret
    with pytest.raises(WebhookEndpointInvalid):
        webhook_endpoint_update(
            organization_id=org.id,
            actor=endpoint_admin(org),
            endpoint_id=endpoint.pk,
            name="New",
            url="ftp://x/",
        )
    stored = WebhookEndpoint.objects.get()
    assert (stored.name, stored.url, stored.active) == ("Ops", "http://b.example:81/2", True)
    webhook_endpoint_update(
        organization_id=org.id, actor=endpoint_admin(org), endpoint_id=endpoint.pk, active=False
    )
    assert WebhookEndpoint.objects.get().active is False


def test_another_organizations_endpoint_cannot_be_changed_or_deleted(org, outsider_org):
    endpoint = webhook_endpoint_create(
        organization_id=org.id, actor=endpoint_admin(org), name="Ops", kind="slack", url=SLACK
    ).endpoint
    with pytest.raises(WebhookEndpointNotFound):
        webhook_endpoint_update(
            organization_id=outsider_org.id,
            actor=endpoint_admin(outsider_org),
            endpoint_id=endpoint.pk,
            name="x",
        )
    assert (
        webhook_endpoint_delete(
            organization_id=outsider_org.id,
            actor=endpoint_admin(outsider_org),
            endpoint_id=endpoint.pk,
        )
        is False
    )
    assert WebhookEndpoint.objects.get().name == "Ops"


def test_deleting_an_endpoint_keeps_its_deliveries_in_the_log(org):
    endpoint = webhook_endpoint_create(
        organization_id=org.id, actor=endpoint_admin(org), name="Ops", kind="slack", url=SLACK
    ).endpoint
    alert_deliveries_create(alert_id=budget_alert(org).pk)  # queued on commit: never sent
    assert (
        webhook_endpoint_delete(
            organization_id=org.id, actor=endpoint_admin(org), endpoint_id=endpoint.pk
        )
        is True
    )
    delivery = AlertDelivery.objects.get()
    assert (delivery.endpoint_id, delivery.target) == (None, "https://hooks.slack.com/…")
    outcome = alert_delivery_attempt(delivery_id=delivery.pk, attempts_done=0)
    assert (outcome.status, outcome.attempts, outcome.retry_in) == ("failed", 1, None)
    assert AlertDelivery.objects.get().last_error == "The endpoint was deleted."


def every_write(org, actor, endpoint_id):
    """Each write, made as `actor`; the refusals they raised, in order."""
    attempts = [
        lambda: webhook_endpoint_create(
            organization_id=org.id, actor=actor, name="New", kind="slack", url=SLACK
        ),
        lambda: webhook_endpoint_update(
            organization_id=org.id, endpoint_id=endpoint_id, actor=actor, name="x"
        ),
        lambda: webhook_endpoint_delete(
            organization_id=org.id, endpoint_id=endpoint_id, actor=actor
        ),
        lambda: webhook_test_send(organization_id=org.id, endpoint_id=endpoint_id, actor=actor),
    ]
    refusals = []
    for attempt in attempts:
        with pytest.raises(WebhookPermissionDenied) as raised:
            attempt()
        refusals.append((raised.value.kind, raised.value.message))
    return refusals


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_add_change_delete_or_test(org, role):
    endpoint = webhook_endpoint_create(
        organization_id=org.id, actor=endpoint_admin(org), name="Ops", kind="slack", url=SLACK
    ).endpoint
    member = MembershipFactory(organization=org, role=role)
    assert (
        every_write(org, member, endpoint.pk)
        == [("forbidden", "Only admins and owners add, change, delete and test webhooks.")] * 4
    )
    assert list(WebhookEndpoint.objects.values_list("pk", "name")) == [(endpoint.pk, "Ops")]
    assert not AlertDelivery.objects.exists()


def test_an_owner_of_another_organization_cannot_write(org, outsider_org):
    endpoint = webhook_endpoint_create(
        organization_id=org.id, actor=endpoint_admin(org), name="Ops", kind="slack", url=SLACK
    ).endpoint
    theirs = MembershipFactory(organization=outsider_org, role=Role.OWNER)
    assert len(every_write(org, theirs, endpoint.pk)) == 4
    assert list(WebhookEndpoint.objects.values_list("pk", "name")) == [(endpoint.pk, "Ops")]
    assert not AlertDelivery.objects.exists()


def test_an_owner_adds_changes_tests_and_deletes(org):
    owner = MembershipFactory(organization=org, role=Role.OWNER, user__email="")
    endpoint = webhook_endpoint_create(
        organization_id=org.id, actor=owner, name="Ops", kind="slack", url=SLACK
    ).endpoint
    changed = webhook_endpoint_update(
        organization_id=org.id, endpoint_id=endpoint.pk, actor=owner, name="Alerts"
    )
    assert changed.name == "Alerts"
    delivery = webhook_test_send(organization_id=org.id, endpoint_id=endpoint.pk, actor=owner)
    assert (delivery.endpoint_id, delivery.event_type) == (endpoint.pk, "webhook.test")
    assert webhook_endpoint_delete(organization_id=org.id, endpoint_id=endpoint.pk, actor=owner)
    assert not WebhookEndpoint.objects.exists()


def test_the_kind_cannot_be_changed(org):
    admin = endpoint_admin(org)
    endpoint = webhook_endpoint_create(
        organization_id=org.id, actor=admin, name="Ops", kind="slack", url=SLACK
    ).endpoint
    with pytest.raises(WebhookEndpointInvalid) as raised:
        webhook_endpoint_update(
            organization_id=org.id, endpoint_id=endpoint.pk, actor=admin, kind="webhook", name="x"
        )
    assert raised.value.details == {"kind": ["cannot be changed; add a new webhook"]}
    same = webhook_endpoint_update(
        organization_id=org.id, endpoint_id=endpoint.pk, actor=admin, kind="slack", name="Slack"
    )
    assert (same.kind, same.name) == ("slack", "Slack")
