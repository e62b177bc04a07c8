"""`/api/v1/expenses`: list with filters, add, one, edit or confirm, delete (with the
receipt's file); scoped to the caller's organization."""

import json
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from billing.models import Expense, ExpenseSource, ExpenseStatus, Receipt, receipts_storage
from billing.services.expenses import expense_create, service_of_vendor
from tokentracker.models import ApiKeyScope, ExchangeRate, Role
from tokentracker.services import api_key_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/expenses"
BODY = {"amount": "19.99", "vendor": "Anthropic", "date": "2026-02-10", "category": "Seats"}


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}


def patch(client, expense_id, body, key=None):
    payload = body if isinstance(body, str) else json.dumps(body)
    return client.patch(
        f"{URL}/{expense_id}", payload, content_type="application/json", **auth(key)
    )


def spent(organization, vendor, amount, day, **fields):
    return expense_create(
        organization_id=organization.id, vendor=vendor, amount=amount, date=day, **fields
    )


def draft(organization, **fields):
    """A receipt's draft as OCR leaves it: any field may be missing."""
    fields.setdefault("vendor", "")
    return Expense.objects.create(
        organization=organization,
        status=ExpenseStatus.DRAFT,
        source=ExpenseSource.RECEIPT,
        service=service_of_vendor(fields["vendor"]),
        **fields,
    )


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_an_expense_is_added_converted_and_read_back(api, client, org, raw_key):
    ExchangeRate.objects.create(day="2026-02-10", currency="USD", rate=Decimal("1.2"))
    response = api.post(URL, {**BODY, "currency": "EUR", "tax": "3.19"}, raw_key)
    assert response.status_code == 201, response.content
    created = response.json()
    assert {k: v for k, v in created.items() if k not in {"id", "created_at", "updated_at"}} == {
        "status": "confirmed",
        "source": "manual",
        "amount": 19.99,
        "currency": "EUR",
        "tax": 3.19,
        "converted_amount": 23.988,
        "converted_currency": "USD",
        "vendor": "Anthropic",
        "service": "anthropic",
        "date": "2026-02-10",
        "category": "Seats",
        "description": "",
        "receipt_id": None,
    }
    expense = Expense.objects.get()
    assert (expense.pk, expense.converted_amount) == (created["id"], Decimal("23.988"))
    one = client.get(f"{URL}/{created['id']}", **auth(raw_key))
    assert one.json() == created
    assert ids(client.get(URL, **auth(raw_key))) == [created["id"]]


def test_no_rate_leaves_it_unconverted(api, raw_key):
    response = api.post(URL, {**BODY, "currency": "SEK"}, raw_key)
    assert response.status_code == 201, response.content
    assert (response.json()["converted_amount"], response.json()["converted_currency"]) == (
        None,
        "USD",
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"vendor": ""}, "vendor"),
        ({"amount": -5}, "amount"),
        ({"amount": None}, "amount"),
        ({"currency": "EURO"}, "currency"),
        ({"date": "10/02/2026"}, "date"),
        ({"tax": "20"}, "tax"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api, raw_key, change, field):
    response = api.post(URL, {**BODY, **change}, raw_key)
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "VALIDATION_FAILED"
    assert list(response.json()["error"]["details"]) == [field]
    assert not Expense.objects.exists()


def test_a_body_that_is_not_an_object_is_a_422(api, raw_key):
    response = api.post(URL, [BODY], raw_key)
    assert response.status_code == 422, response.content
    assert response.json()["error"]["details"] == {"body": ["must be a JSON object"]}
    assert not Expense.objects.exists()


def test_no_key_is_401_and_a_read_only_key_cannot_write(api, client, org):
    assert api.post(URL, BODY).status_code == 401
    assert client.get(URL).status_code == 401
    expense = spent(org, "AWS", 1, "2026-01-05")
    assert client.get(f"{URL}/{expense.pk}").status_code == 401
    assert patch(client, expense.pk, {"amount": 9}).status_code == 401
    assert client.delete(f"{URL}/{expense.pk}").status_code == 401
    read_only = api_key_create(organization=org, name="ro", scope=ApiKeyScope.READ).raw_key
    assert api.post(URL, BODY, read_only).status_code == 403
    assert patch(client, expense.pk, {"amount": 9}, read_only).status_code == 403
    assert client.delete(f"{URL}/{expense.pk}", **auth(read_only)).status_code == 403
    expense.refresh_from_db()
    assert (Expense.objects.count(), expense.amount) == (1, Decimal("1"))
    assert ids(client.get(URL, **auth(read_only))) == [expense.pk]


def test_an_outsider_sees_changes_and_deletes_nothing(client, org, outsider_key):
    expense = spent(org, "AWS", 1, "2026-01-05")
    assert ids(client.get(URL, **auth(outsider_key))) == []
    assert client.get(f"{URL}/{expense.pk}", **auth(outsider_key)).status_code == 404
    assert patch(client, expense.pk, {"amount": 9}, outsider_key).status_code == 404
    assert client.delete(f"{URL}/{expense.pk}", **auth(outsider_key)).status_code == 404
    expense.refresh_from_db()
    assert expense.amount == Decimal("1")


def test_a_member_writes_and_a_viewer_reads_when_signed_in(client, org, sign_in):
    user = sign_in(org, Role.MEMBER)
    response = client.post(URL, json.dumps(BODY), content_type="application/json")
    assert response.status_code == 201, response.content
    assert Expense.objects.get().created_by == user
    client.logout()
    sign_in(org, Role.VIEWER)
    assert len(ids(client.get(URL))) == 1
    refused = client.post(URL, json.dumps(BODY), content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Viewers cannot add, edit or delete expenses."
    assert Expense.objects.count() == 1


@pytest.fixture
def listed(org, outsider_org):
    made = {
        "openai": spent(org, "OpenAI, Inc.", 10, "2026-03-15", category="API"),
        "notion": spent(org, "Notion Labs", 20, "2026-03-01", description="Wiki for the team"),
        "aws": spent(org, "Amazon Web Services", 30, "2026-02-28", category="cloud"),
        "draft": draft(org, vendor="Cursor", amount=Decimal(40), currency="USD"),
    }
    spent(outsider_org, "OpenAI", 777, "2026-03-15")
    return made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["draft", "aws", "notion", "openai"]),
        ({"start": "2026-03-01"}, ["notion", "openai"]),
        ({"end": "2026-03-01"}, ["aws", "notion"]),
        ({"start": "2026-03-01", "end": "2026-03-01"}, ["notion"]),
        ({"status": "draft"}, ["draft"]),
        ({"status": "confirmed"}, ["aws", "notion", "openai"]),
        ({"source": "receipt"}, ["draft"]),
        ({"service": "openai"}, ["openai"]),
        ({"service": "other"}, ["notion"]),
        ({"service": "cursor"}, ["draft"]),
        ({"category": "CLOUD"}, ["aws"]),
        ({"search": "wiki"}, ["notion"]),
        ({"search": "inc"}, ["openai"]),
        ({"search": "api", "status": "confirmed"}, ["openai"]),
    ],
)
def test_the_list_is_filtered(client, raw_key, listed, query, expected):
    # Newest added first.
    assert ids(client.get(URL, query, **auth(raw_key))) == [listed[name].pk for name in expected]


@pytest.mark.parametrize(
    "query",
    [
        {"start": "yesterday"},
        {"end": "2026-02-30"},
        {"status": "approved"},
        {"source": "email"},
        {"service": "netlify"},
    ],
)
def test_a_bad_filter_is_a_422_naming_it(client, raw_key, listed, query):
    response = client.get(URL, query, **auth(raw_key))
    assert response.status_code == 422, response.content
    assert list(response.json()["error"]["details"]) == list(query)


def test_the_list_is_paged(client, org, raw_key):
    for day in range(1, 6):
        spent(org, "Replit", day, f"2026-03-{day:02d}")
    first = client.get(URL, {"limit": 2}, **auth(raw_key)).json()
    assert [row["amount"] for row in first["results"]] == [5.0, 4.0]
    second = client.get(first["next"], **auth(raw_key)).json()
    assert [row["amount"] for row in second["results"]] == [3.0, 2.0]


def test_a_list_costs_a_fixed_number_of_queries(client, org, raw_key, django_assert_num_queries):
    for day in range(1, 21):
        expense = draft(org, vendor=f"Vendor {day}", date=f"2026-03-{day:02d}")
        Receipt.objects.create(
            organization=org,
            expense=expense,
            file=f"{org.pk}/r{day}",
            content_type="image/png",
            size=1,
            sha256="0" * 64,
        )
    client.get(URL, **auth(raw_key))  # warm the key cache
    with django_assert_num_queries(1):  # the page, with its receipts
        rows = client.get(URL, **auth(raw_key)).json()["results"]
    assert len(rows) == 20 and all(row["receipt_id"] for row in rows)


def test_an_edit_changes_the_fields_sent_and_converts_again(client, org, raw_key):
    ExchangeRate.objects.create(day="2026-02-10", currency="USD", rate=Decimal("1.2"))
    expense = spent(org, "AWS", 10, "2026-02-10", category="Cloud", description="S3")
    response = patch(client, expense.pk, {"amount": "25", "currency": "EUR"}, raw_key)
    assert response.status_code == 200, response.content
    edited = response.json()
    assert (edited["amount"], edited["currency"], edited["converted_amount"]) == (25.0, "EUR", 30.0)
    assert (edited["vendor"], edited["category"], edited["description"]) == ("AWS", "Cloud", "S3")
    assert client.get(f"{URL}/{expense.pk}", **auth(raw_key)).json() == edited
    renamed = patch(client, expense.pk, {"vendor": "Vercel"}, raw_key).json()
    assert (renamed["vendor"], renamed["service"], renamed["converted_amount"]) == (
        "Vercel",
        "vercel",
        30.0,
    )


def test_confirm_turns_a_draft_into_spend(client, org, raw_key):
    expense = draft(org, vendor="Anthropic", amount=Decimal("12.5"), currency="USD")
    incomplete = patch(client, expense.pk, {"confirm": True}, raw_key)
    assert incomplete.status_code == 422, incomplete.content
    assert incomplete.json()["error"]["details"] == {"date": ["is required to confirm the expense"]}
    response = patch(client, expense.pk, {"date": "2026-03-03", "confirm": True}, raw_key)
    assert response.status_code == 200, response.content
    confirmed = response.json()
    assert (confirmed["status"], confirmed["date"], confirmed["converted_amount"]) == (
        "confirmed",
        "2026-03-03",
        12.5,
    )
    expense.refresh_from_db()
    assert (expense.status, expense.converted_amount) == ("confirmed", Decimal("12.5"))


def test_an_edit_of_a_draft_without_confirm_keeps_it_a_draft(client, org, raw_key):
    expense = draft(org, vendor="")
    edited = patch(client, expense.pk, {"vendor": "GitHub, Inc.", "amount": 4}, raw_key).json()
    assert (edited["status"], edited["vendor"], edited["service"], edited["amount"]) == (
        "draft",
        "GitHub, Inc.",
        "github",
        4.0,
    )
    assert edited["converted_amount"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "lots"}, "amount"),
        ({"vendor": ""}, "vendor"),
        ({"tax": 11}, "tax"),
        ({"confirm": "yes"}, "confirm"),
        ([1, 2], "body"),
    ],
)
def test_a_bad_edit_is_a_422_naming_the_field_and_changes_nothing(
    client, org, raw_key, body, field
):
    expense = spent(org, "AWS", 10, "2026-01-05")
    response = patch(client, expense.pk, body, raw_key)
    assert response.status_code == 422, response.content
    assert list(response.json()["error"]["details"]) == [field]
    expense.refresh_from_db()
    assert (expense.vendor, expense.amount, expense.tax) == ("AWS", Decimal("10"), None)


def test_a_whole_replacement_is_not_offered(client, org, raw_key):
    expense = spent(org, "AWS", 1, "2026-01-05")
    response = client.put(
        f"{URL}/{expense.pk}", json.dumps(BODY), content_type="application/json", **auth(raw_key)
    )
    assert response.status_code == 405
    assert client.get(f"{URL}/nope", **auth(raw_key)).status_code == 404


def test_delete_removes_the_expense_its_receipt_and_the_file(
    client, org, raw_key, django_capture_on_commit_callbacks
):
    storage = receipts_storage()
    name = storage.save(f"{org.pk}/receipt-file", ContentFile(b"%PDF-1.4 receipt"))
    expense = draft(org, vendor="OpenAI", amount=Decimal(3), currency="USD")
    receipt = Receipt.objects.create(
        organization=org,
        expense=expense,
        file=name,
        content_type="application/pdf",
        size=16,
        sha256="0" * 64,
    )
    kept = spent(org, "AWS", 1, "2026-01-05")
    assert client.get(f"{URL}/{expense.pk}", **auth(raw_key)).json()["receipt_id"] == receipt.pk
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"{URL}/{expense.pk}", **auth(raw_key))
    assert response.status_code == 204
    assert not Receipt.objects.exists()
    assert list(Expense.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not storage.exists(name)
    assert client.get(f"{URL}/{expense.pk}", **auth(raw_key)).status_code == 404


def test_the_endpoints_are_documented(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    listed = schema["paths"]["/api/v1/expenses"]["get"]
    assert {p["name"] for p in listed["parameters"]} >= {
        "start",
        "end",
        "status",
        "source",
        "service",
        "category",
        "search",
        "limit",
    }
    created = schema["paths"]["/api/v1/expenses"]["post"]
    assert set(created["responses"]) >= {"201", "401", "403", "422"}
    edit = schema["paths"]["/api/v1/expenses/{id}"]["patch"]
    body = edit["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert "confirm" in schema["components"]["schemas"][body]["properties"]
    assert "put" not in schema["paths"]["/api/v1/expenses/{id}"]
    assert set(schema["paths"]["/api/v1/expenses/{id}"]) >= {"get", "patch", "delete"}
