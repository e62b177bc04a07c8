"""Request/response payloads: kept only when the workspace opts in, encrypted at rest."""

import json

import pytest
from django.db import connection

from usage.models import RequestPayload, UsageEvent

from .conftest import observe

REQUESTS = "/api/v1/public/requests"
SECRET = "the-customer-secret-prompt-7f3a"
INPUT = {"messages": [{"role": "user", "content": SECRET}]}
OUTPUT = {"choices": [{"message": {"content": "an answer"}}]}
pytestmark = pytest.mark.django_db


def test_with_storage_off_payloads_are_dropped_and_not_shown(api, org, tw_key):
    response = observe(api, tw_key, input=INPUT, output=OUTPUT)
    assert response.status_code == 201
    assert "inputPayload" not in response.json()
    assert not RequestPayload.objects.exists()
    row = api.get(REQUESTS, tw_key).json()["data"][0]
    assert "inputPayload" not in row
    assert "outputPayload" not in row


def test_with_storage_on_payloads_are_encrypted_at_rest(api, payloads_on, tw_key):
    event_id = observe(api, tw_key, input=INPUT, output=OUTPUT).json()["id"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT input_ciphertext, output_ciphertext FROM {RequestPayload._meta.db_table}"
        )
        ((stored_input, stored_output),) = cursor.fetchall()
    assert SECRET not in stored_input
    assert "messages" not in stored_input
    assert "an answer" not in stored_output
    assert stored_input.startswith("gAAAAA")  # a Fernet token
    assert str(RequestPayload.objects.get().event_id) == event_id


def test_with_storage_on_the_log_returns_payloads_decrypted(api, payloads_on, tw_key):
    created = observe(api, tw_key, input=INPUT, output=OUTPUT).json()
    assert (created["inputPayload"], created["outputPayload"]) == (INPUT, OUTPUT)
    row = api.get(REQUESTS, tw_key).json()["data"][0]
    assert (row["inputPayload"], row["outputPayload"]) == (INPUT, OUTPUT)


def test_a_request_without_payloads_shows_nulls_when_storage_is_on(api, payloads_on, tw_key):
    observe(api, tw_key, input="just a prompt string")
    observe(api, tw_key)
    rows = api.get(REQUESTS, tw_key).json()["data"]
    payloads = sorted((r["inputPayload"], r["outputPayload"]) for r in rows if r["inputPayload"])
    assert payloads == [("just a prompt string", None)]
    assert sum(1 for r in rows if r["inputPayload"] is None and r["outputPayload"] is None) == 1
    assert RequestPayload.objects.count() == 1


def test_turning_storage_off_hides_payloads_already_stored(api, payloads_on, tw_key):
    observe(api, tw_key, input=INPUT)
    payloads_on.payload_storage_enabled = False
    payloads_on.save()
    assert "inputPayload" not in api.get(REQUESTS, tw_key).json()["data"][0]


def test_payloads_appear_nowhere_else(api, payloads_on, tw_key):
    observe(api, tw_key, input=INPUT, output=OUTPUT)
    event = UsageEvent.objects.get()
    for path in ("/api/v1/events", f"/api/v1/events/{event.uuid}"):
        assert SECRET not in api.get(path, tw_key).content.decode()
    assert SECRET not in json.dumps(event.metadata)


def test_an_outsider_cannot_read_our_payloads(api, payloads_on, tw_key, outsider_org, outsider_key):
    observe(api, tw_key, input=INPUT)
    outsider_org.payload_storage_enabled = True
    outsider_org.save()
    assert api.get(REQUESTS, outsider_key).json()["data"] == []


def test_a_failed_event_write_leaves_no_payload(api, payloads_on, tw_key):
    payloads_on.plan.daily_event_limit = 0
    payloads_on.plan.save()
    assert observe(api, tw_key, input=INPUT).status_code == 429
    assert not RequestPayload.objects.exists()


def test_a_failed_payload_write_leaves_no_event(api, payloads_on, tw_key, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(RequestPayload.objects, "create", broken)
    response = observe(api, tw_key, input=INPUT)
    assert response.status_code == 500
    assert response.json() == {"error": "Internal server error."}
    assert not UsageEvent.objects.exists()


def test_the_log_with_payloads_costs_one_more_query(
    api, payloads_on, tw_key, django_assert_num_queries
):
    for _ in range(5):
        observe(api, tw_key, input=INPUT)
    api.get(REQUESTS, tw_key)
    # The page, its count, the workspace, and the payloads of the page in one query.
    with django_assert_num_queries(4):
        rows = api.get(REQUESTS, tw_key).json()["data"]
    assert [row["inputPayload"] for row in rows] == [INPUT] * 5


def test_admin_lists_no_payloads_and_lets_staff_switch_storage(client, payloads_on, api, tw_key):
    from django.contrib import admin
    from django.contrib.auth import get_user_model

    observe(api, tw_key, input=INPUT)
    assert not admin.site.is_registered(RequestPayload)
    staff = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(staff)
    for path in ("/admin/usage/usageevent/", "/admin/usage/eval/"):
        response = client.get(path)
        assert response.status_code == 200
        assert SECRET not in response.content.decode()
    page = client.get(f"/admin/tokentracker/organization/{payloads_on.pk}/change/")
    assert b'name="payload_storage_enabled"' in page.content
