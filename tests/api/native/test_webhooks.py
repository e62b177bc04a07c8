"""`/api/v1/webhooks` (list, add, one, change, delete, deliveries, test event) and
`/api/v1/alert-deliveries`; scoped to the key's organization, writes need a write key of an
admin or owner (the key's creator, as they are now)."""

import json

import pytest
from django.core import mail

from billing.models import AlertDelivery, WebhookEndpoint
from billing.services.deliveries import alert_deliveries_create
from billing.services.webhooks import webhook_endpoint_create
from tests.billing.receivers import Receiver, budget_alert, endpoint_admin
from tests.factories import MembershipFactory
from tokentracker.models import ApiKeyScope, Role
from tokentracker.services import api_key_create

pytestmark = pytest.mark.django_db

SLACK = "https://hooks.slack.com/services/T0001/B0002/s3cr3tT0k3n"
# A key lookup, its last_used_at, the deliveries and their attempts: not one per delivery.
QUERIES = 4
BODY = {"name": "Ops", "kind": "webhook", "url": "https://ops.example/in?token=abc123"}


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def patch(client, path, body, key):
    return client.patch(path, json.dumps(body), content_type="application/json", **auth(key))


@pytest.fixture
def receiver(private_webhooks_allowed):
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def admin(org):
    return endpoint_admin(org)


@pytest.fixture
def admin_key(org, admin):
    return api_key_create(organization=org, name="admin's", created_by=admin.user).raw_key


@pytest.fixture
def endpoint(org, admin):
    return webhook_endpoint_create(
        organization_id=org.id, actor=admin, name="Slack", kind="slack", url=SLACK
    )


def test_a_webhook_is_added_with_its_secret_once_and_read_back_without_it(
    api, client, admin, admin_key
):
    response = api.post("/api/v1/webhooks", BODY, admin_key)
    assert response.status_code == 201, response.content
    created = response.json()
    secret = created.pop("secret")
    assert secret.startswith("whsec_")
    assert WebhookEndpoint.objects.get().signing_secret == secret
    assert WebhookEndpoint.objects.get().created_by == admin.user
    assert {k: v for k, v in created.items() if k not in {"id", "created_at", "updated_at"}} == {
        "name": "Ops",
        "kind": "webhook",
        "url_shown": "https://ops.example/…",
        "active": True,
    }
    one = client.get(f"/api/v1/webhooks/{created['id']}", **auth(admin_key))
    assert one.json() == created
    listed = client.get("/api/v1/webhooks", **auth(admin_key))
    assert listed.json()["results"] == [created]
    for answer in (one, listed):
        assert b"abc123" not in answer.content and secret.encode() not in answer.content


def test_a_slack_webhook_has_no_secret(api, admin_key):
    response = api.post("/api/v1/webhooks", {**BODY, "kind": "slack", "url": SLACK}, admin_key)
    assert response.status_code == 201, response.content
    assert response.json()["secret"] == ""
    assert response.json()["url_shown"] == "https://hooks.slack.com/…"
    assert b"s3cr3tT0k3n" not in response.content


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "ftp://files.example/hook"}, "url"),
        ({"url": "https://"}, "url"),
        ({"url": "https://user:pass@ops.example/in"}, "url"),
        ({"url": None}, "url"),
        ({"kind": "teams"}, "kind"),
        ({"name": ""}, "name"),
        ({"active": "no"}, "active"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(api, admin_key, change, field):
    response = api.post("/api/v1/webhooks", {**BODY, **change}, admin_key)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert list(error["details"]) == [field]
    assert not WebhookEndpoint.objects.exists()


def test_a_body_that_is_not_an_object_is_a_422(api, admin_key):
    response = api.post("/api/v1/webhooks", "[1, 2]", admin_key)
    assert response.status_code == 422
    assert not WebhookEndpoint.objects.exists()


def test_a_webhook_is_changed_and_deleted(client, admin_key, endpoint):
    path = f"/api/v1/webhooks/{endpoint.endpoint.pk}"
    response = patch(client, path, {"name": "Alerts", "active": False}, admin_key)
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["active"]) == ("Alerts", False)
    response = patch(client, path, {"url": "https://hooks.example.com/new/secret"}, admin_key)
    assert response.json()["url_shown"] == "https://hooks.example.com/…"
    assert WebhookEndpoint.objects.get().url == "https://hooks.example.com/new/secret"
    assert client.delete(path, **auth(admin_key)).status_code == 204
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [({"url": "ftp://x/"}, "url"), ({"kind": "webhook"}, "kind"), ({"name": " "}, "name")],
)
def test_a_bad_change_is_a_422_and_changes_nothing(client, admin_key, endpoint, body, field):
    path = f"/api/v1/webhooks/{endpoint.endpoint.pk}"
    response = patch(client, path, {"active": False, **body}, admin_key)
    assert response.status_code == 422, response.content
    assert list(response.json()["error"]["details"]) == [field]
    stored = WebhookEndpoint.objects.get()
    assert (stored.name, stored.kind, stored.url, stored.active) == ("Slack", "slack", SLACK, True)


def test_an_address_inside_our_network_is_a_422_naming_the_url(
    api, client, admin_key, endpoint, settings
):
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = False
    message = (
        "must not point at a private, loopback, link-local, reserved or multicast address "
        "(ALERT_WEBHOOK_ALLOW_PRIVATE is off on this server)"
    )
    metadata = {**BODY, "url": "http://169.254.169.254/latest/meta-data/"}
    added = api.post("/api/v1/webhooks", metadata, admin_key)
    path = f"/api/v1/webhooks/{endpoint.endpoint.pk}"
    changed = patch(client, path, {"url": "http://[::1]:8065/hooks/x"}, admin_key)
    for response in (added, changed):
        assert response.status_code == 422, response.content
        assert response.json()["error"]["details"] == {"url": [message]}
    assert list(WebhookEndpoint.objects.values_list("url_shown", flat=True)) == [
        "https://hooks.slack.com/…"
    ]


def test_a_test_event_to_a_name_inside_our_network_is_refused_and_logged(
    api, client, admin_key, settings, django_capture_on_commit_callbacks
):
    settings.ALERT_WEBHOOK_ALLOW_PRIVATE = False
    body = {**BODY, "url": "http://localhost:8065/hooks/x"}  # a name: checked when sent
    pk = api.post("/api/v1/webhooks", body, admin_key).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/v1/webhooks/{pk}/test", {}, admin_key).status_code == 202
    (delivery,) = client.get(f"/api/v1/webhooks/{pk}/deliveries", **auth(admin_key)).json()[
        "results"
    ]
    refused = (
        "Refused: the host resolves to a private, loopback, link-local, reserved or "
        "multicast address; nothing was sent (ALERT_WEBHOOK_ALLOW_PRIVATE is off)."
    )
    assert (delivery["status"], delivery["attempts"], delivery["last_error"]) == (
        "failed",
        1,
        refused,
    )
    assert [(a["number"], a["response_status"], a["error"]) for a in delivery["attempt_log"]] == [
        (1, None, refused)
    ]


def test_put_is_not_offered(client, admin_key, endpoint):
    path = f"/api/v1/webhooks/{endpoint.endpoint.pk}"
    body = json.dumps({**BODY, "kind": "slack"})
    response = client.put(path, body, content_type="application/json", **auth(admin_key))
    assert response.status_code == 405


def test_no_key_is_a_401(api, client, endpoint):
    pk = endpoint.endpoint.pk
    assert api.post("/api/v1/webhooks", BODY).status_code == 401
    assert client.get("/api/v1/webhooks").status_code == 401
    assert client.get(f"/api/v1/webhooks/{pk}/deliveries").status_code == 401
    assert api.post(f"/api/v1/webhooks/{pk}/test", {}).status_code == 401
    assert client.get("/api/v1/alert-deliveries").status_code == 401
    assert WebhookEndpoint.objects.count() == 1


def test_a_read_only_key_reads_but_cannot_add_change_delete_or_test(
    api, client, org, admin, endpoint
):
    # An admin's read-only key: the scope refuses before the role is asked.
    read_only = api_key_create(
        organization=org, name="ro", scope=ApiKeyScope.READ, created_by=admin.user
    ).raw_key
    pk = endpoint.endpoint.pk
    assert api.post("/api/v1/webhooks", BODY, read_only).status_code == 403
    assert patch(client, f"/api/v1/webhooks/{pk}", {"name": "x"}, read_only).status_code == 403
    assert client.delete(f"/api/v1/webhooks/{pk}", **auth(read_only)).status_code == 403
    assert api.post(f"/api/v1/webhooks/{pk}/test", {}, read_only).status_code == 403
    assert WebhookEndpoint.objects.get().name == "Slack"
    assert not AlertDelivery.objects.exists()
    listed = client.get("/api/v1/webhooks", **auth(read_only)).json()["results"]
    assert [row["id"] for row in listed] == [pk]


ROLE_REFUSAL = "Only admins and owners add, change, delete and test webhooks."
CLI_REFUSAL = (
    "This API key acts for no current member (it was created from the command line or its "
    "creator left): webhooks need a key of an admin or owner."
)


def writes(api, client, pk, key):
    """Every write of the webhook endpoints, with `key`."""
    return [
        api.post("/api/v1/webhooks", BODY, key),
        # A kind change is also refused for the role first, not judged as input.
        patch(client, f"/api/v1/webhooks/{pk}", {"name": "x", "kind": "webhook"}, key),
        client.delete(f"/api/v1/webhooks/{pk}", **auth(key)),
        api.post(f"/api/v1/webhooks/{pk}/test", {}, key),
    ]


def assert_unchanged(pk):
    stored = WebhookEndpoint.objects.get()
    assert (stored.pk, stored.name, stored.kind, stored.url, stored.active) == (
        pk,
        "Slack",
        "slack",
        SLACK,
        True,
    )
    assert not AlertDelivery.objects.exists()


def test_a_members_write_key_reads_but_changes_nothing(api, client, org, endpoint):
    member = MembershipFactory(organization=org, role=Role.MEMBER)
    members_key = api_key_create(organization=org, name="m", created_by=member.user).raw_key
    pk = endpoint.endpoint.pk
    refused = writes(api, client, pk, members_key)
    assert [answer.status_code for answer in refused] == [403, 403, 403, 403]
    assert [answer.json()["error"]["message"] for answer in refused] == [ROLE_REFUSAL] * 4
    assert_unchanged(pk)
    assert client.get(f"/api/v1/webhooks/{pk}", **auth(members_key)).status_code == 200


def test_a_key_made_from_the_command_line_is_refused_with_a_clear_message(
    api, client, raw_key, endpoint
):
    pk = endpoint.endpoint.pk
    refused = writes(api, client, pk, raw_key)
    assert [answer.status_code for answer in refused] == [403, 403, 403, 403]
    assert [answer.json()["error"]["message"] for answer in refused] == [CLI_REFUSAL] * 4
    assert_unchanged(pk)
    listed = client.get("/api/v1/webhooks", **auth(raw_key)).json()["results"]
    assert [row["id"] for row in listed] == [pk]


def test_an_owners_key_writes_as_the_owner(api, client, org, endpoint):
    owner = MembershipFactory(organization=org, role=Role.OWNER)
    owners_key = api_key_create(organization=org, name="o", created_by=owner.user).raw_key
    created = api.post("/api/v1/webhooks", BODY, owners_key)
    assert created.status_code == 201, created.content
    assert WebhookEndpoint.objects.get(pk=created.json()["id"]).created_by == owner.user
    pk = endpoint.endpoint.pk
    assert patch(client, f"/api/v1/webhooks/{pk}", {"name": "Ops"}, owners_key).status_code == 200
    assert api.post(f"/api/v1/webhooks/{pk}/test", {}, owners_key).status_code == 202
    assert client.delete(f"/api/v1/webhooks/{pk}", **auth(owners_key)).status_code == 204
    assert list(WebhookEndpoint.objects.values_list("name", flat=True)) == ["Ops"]


def test_a_key_stops_writing_once_its_admin_is_demoted_or_leaves(
    api, client, admin, admin_key, endpoint
):
    pk = endpoint.endpoint.pk
    assert patch(client, f"/api/v1/webhooks/{pk}", {"name": "Alerts"}, admin_key).status_code == 200
    admin.role = Role.MEMBER
    admin.save()
    demoted = patch(client, f"/api/v1/webhooks/{pk}", {"name": "x"}, admin_key)
    assert (demoted.status_code, demoted.json()["error"]["message"]) == (403, ROLE_REFUSAL)
    admin.delete()
    gone = api.post("/api/v1/webhooks", BODY, admin_key)
    assert (gone.status_code, gone.json()["error"]["message"]) == (403, CLI_REFUSAL)
    assert list(WebhookEndpoint.objects.values_list("name", flat=True)) == ["Alerts"]


def test_a_signed_in_member_without_a_key_is_refused(api, client, org, sign_in):
    # The native API takes API keys only, as every /api/v1 resource does.
    sign_in(org, Role.OWNER)
    assert api.post("/api/v1/webhooks", BODY).status_code == 401
    assert not WebhookEndpoint.objects.exists()


def test_an_outsider_sees_changes_and_tests_nothing(api, client, org, outsider_key, endpoint):
    pk = endpoint.endpoint.pk
    alert_deliveries_create(alert_id=budget_alert(org).pk)
    assert client.get("/api/v1/webhooks", **auth(outsider_key)).json()["results"] == []
    assert client.get(f"/api/v1/webhooks/{pk}", **auth(outsider_key)).status_code == 404
    assert patch(client, f"/api/v1/webhooks/{pk}", {"name": "x"}, outsider_key).status_code == 404
    assert client.delete(f"/api/v1/webhooks/{pk}", **auth(outsider_key)).status_code == 404
    assert api.post(f"/api/v1/webhooks/{pk}/test", {}, outsider_key).status_code == 404
    deliveries = client.get(f"/api/v1/webhooks/{pk}/deliveries", **auth(outsider_key))
    assert deliveries.status_code == 404
    assert client.get("/api/v1/alert-deliveries", **auth(outsider_key)).json()["results"] == []
    delivery = AlertDelivery.objects.get()
    one = client.get(f"/api/v1/alert-deliveries/{delivery.pk}", **auth(outsider_key))
    assert one.status_code == 404
    assert WebhookEndpoint.objects.get().name == "Slack"
    assert AlertDelivery.objects.count() == 1


def test_a_test_event_is_signed_delivered_and_shown_with_its_attempts(
    api, client, org, admin_key, receiver, django_capture_on_commit_callbacks
):
    response = api.post("/api/v1/webhooks", {**BODY, "url": receiver.base + "/in?t=1"}, admin_key)
    receiver.secret = response.json()["secret"]
    pk = response.json()["id"]
    receiver.statuses = [503]

    with django_capture_on_commit_callbacks(execute=True):
        tested = api.post(f"/api/v1/webhooks/{pk}/test", {}, admin_key)

    # The answer is the delivery as queued; it is tried once the request commits.
    assert tested.status_code == 202, tested.content
    queued = tested.json()
    assert {k: queued[k] for k in ("alert", "event_type", "channel", "endpoint", "status")} == {
        "alert": None,
        "event_type": "webhook.test",
        "channel": "webhook",
        "endpoint": pk,
        "status": "pending",
    }
    assert (queued["attempts"], queued["attempt_log"]) == (0, [])
    listed = client.get(f"/api/v1/webhooks/{pk}/deliveries", **auth(admin_key)).json()
    (delivery,) = listed["results"]
    assert [got.verify_error for got in receiver.received] == ["", ""]
    assert receiver.received[1].verified == delivery["payload"] == queued["payload"]
    assert delivery["payload"]["type"] == "webhook.test"
    assert delivery["payload"]["data"]["endpoint"] == {"id": pk, "name": "Ops"}
    assert (delivery["id"], delivery["status"], delivery["attempts"]) == (
        queued["id"],
        "delivered",
        2,
    )
    assert delivery["last_response_status"] == 200
    assert delivery["target"] == f"{receiver.base}/…"
    assert [
        (a["number"], a["succeeded"], a["response_status"], a["error"])
        for a in delivery["attempt_log"]
    ] == [(1, False, 503, "HTTP 503"), (2, True, 200, "")]
    assert client.get(f"/api/v1/alert-deliveries/{delivery['id']}", **auth(admin_key)).json() == (
        delivery
    )


def test_an_alerts_deliveries_are_read_by_alert_with_their_attempts(
    client,
    org,
    admin_key,
    receiver,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    MembershipFactory(organization=org, role=Role.ADMIN, user__email="adam@example.com")
    webhook_endpoint_create(
        organization_id=org.id,
        actor=endpoint_admin(org),
        name="Slack",
        kind="slack",
        url=receiver.base + "/s/T1/xyz",
    )
    receiver.statuses = [404]
    first = budget_alert(org)
    with django_capture_on_commit_callbacks(execute=True):
        alert_deliveries_create(alert_id=first.pk)
    assert len(mail.outbox) == 1 and len(receiver.received) == 1
    alert_deliveries_create(alert_id=budget_alert(org, threshold=100).pk)  # not sent yet

    with django_assert_num_queries(QUERIES):
        response = client.get("/api/v1/alert-deliveries", {"alert": first.pk}, **auth(admin_key))
    rows = response.json()["results"]
    assert sorted((r["channel"], r["target"], r["status"], r["attempts"]) for r in rows) == [
        ("email", "adam@example.com", "delivered", 1),
        ("slack", f"{receiver.base}/…", "failed", 1),
    ]
    assert {r["alert"] for r in rows} == {first.pk}
    slack = next(r for r in rows if r["channel"] == "slack")
    assert [(a["number"], a["response_status"], a["error"]) for a in slack["attempt_log"]] == [
        (1, 404, "HTTP 404")
    ]
    email = next(r for r in rows if r["channel"] == "email")
    assert email["payload"]["subject"] == '[TokenTracker] Acme: budget "Team & tools" at 80%'
    every = client.get("/api/v1/alert-deliveries", **auth(admin_key)).json()["results"]
    assert [(r["status"], r["attempts"], r["attempt_log"]) for r in every[:2]] == [
        ("pending", 0, []),
        ("pending", 0, []),
    ]
    assert len(every) == 4
    failed = client.get("/api/v1/alert-deliveries", {"status": "failed"}, **auth(admin_key))
    assert [r["channel"] for r in failed.json()["results"]] == ["slack"]
    bad = client.get("/api/v1/alert-deliveries", {"status": "lost"}, **auth(admin_key))
    assert bad.status_code == 422
