"""CodingVibez `GET /api/expenses` and `POST /api/expenses`."""

import json
from decimal import Decimal

import pytest

from billing.models import Expense, ExpenseSource, ExpenseStatus
from billing.services.expenses import expense_create, service_of_vendor
from tokentracker.models import ApiKeyScope, ExchangeRate, Role
from tokentracker.services import api_key_create

from .helpers import at, data, error

pytestmark = pytest.mark.django_db

URL = "/api/expenses"
NOW = "2026-03-20T12:00:00Z"
MARCH = {"startDate": "2026-03-01", "endDate": "2026-03-31"}
SEED = {
    "amount": 150,
    "currency": "USD",
    "vendor": "OpenAI",
    "date": "2026-01-15",
    "category": "Software",
}


def post(client, body, key=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    payload = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL, payload, content_type="application/json", **headers)


def spent(organization, vendor, amount, day, **fields):
    return expense_create(
        organization_id=organization.id, vendor=vendor, amount=amount, date=day, **fields
    )


def draft(organization, vendor, amount, day, **fields):
    """A draft as OCR leaves one: read from a receipt, not yet confirmed."""
    return Expense.objects.create(
        organization=organization,
        status=ExpenseStatus.DRAFT,
        source=ExpenseSource.RECEIPT,
        vendor=vendor,
        service=service_of_vendor(vendor),
        amount=amount,
        currency="USD",
        date=day,
        **fields,
    )


@pytest.fixture
def march(org, outsider_org, freeze):
    """Noon on 20 March 2026. OpenAI 150 USD on the 15th; Notion 40 EUR on the 2nd at 1.25
    USD a euro (50 USD); Anthropic 30 SEK on the 10th with no SEK rate (unconverted); a
    draft of 99 USD from Cursor on the 12th; 7 USD on 28 February and 8 on 1 April, outside
    March; the outsider's 777 on the 15th."""
    freeze(NOW)
    ExchangeRate.objects.create(day="2026-03-02", currency="USD", rate=Decimal("1.25"))
    made = {
        "openai": spent(
            org, "OpenAI", 150, "2026-03-15", category="Software", description="API credits"
        ),
        "notion": spent(org, "Notion Labs", 40, "2026-03-02", currency="EUR", tax="6.4"),
        "anthropic": spent(org, "Anthropic PBC", 30, "2026-03-10", currency="SEK"),
        "draft": draft(org, "Cursor", 99, "2026-03-12"),
        "february": spent(org, "Vercel Inc.", 7, "2026-02-28"),
        "april": spent(org, "Vercel Inc.", 8, "2026-04-01"),
    }
    spent(outsider_org, "OpenAI", 777, "2026-03-15")
    return made


def test_the_period_is_listed_latest_day_first_with_its_totals(api, raw_key, march):
    body = data(api.get(URL, raw_key, **MARCH))
    openai = march["openai"]
    assert body["expenses"][0] == {
        "id": str(openai.pk),
        "amount": 150.0,
        "currency": "USD",
        "convertedAmount": 150.0,
        "reportingCurrency": "USD",
        "vendor": "OpenAI",
        "service": "openai",
        "date": "2026-03-15",
        "category": "Software",
        "description": "API credits",
        "tax": None,
        "source": "manual",
        "status": "confirmed",
        "receiptId": None,
        "createdAt": "2026-03-20T12:00:00Z",
    }
    assert [
        (e["vendor"], e["date"], e["amount"], e["convertedAmount"], e["service"], e["status"])
        for e in body["expenses"]
    ] == [
        ("OpenAI", "2026-03-15", 150.0, 150.0, "openai", "confirmed"),
        ("Cursor", "2026-03-12", 99.0, None, "cursor", "draft"),
        ("Anthropic PBC", "2026-03-10", 30.0, None, "anthropic", "confirmed"),
        ("Notion Labs", "2026-03-02", 40.0, 50.0, "other", "confirmed"),
    ]
    notion = body["expenses"][3]
    assert (notion["currency"], notion["reportingCurrency"], notion["tax"]) == ("EUR", "USD", 6.4)
    # 150 + 50; the SEK expense apart; the draft in no total.
    assert body["totals"] == {
        "currency": "USD",
        "amount": 200.0,
        "unconverted": {"SEK": 30.0},
        "expenses": 3,
        "drafts": 1,
    }
    assert body["period"] == {"startDate": "2026-03-01", "endDate": "2026-03-31"}
    assert body["pagination"] == {"limit": 100, "offset": 0, "total": 4, "hasMore": False}


def test_both_days_of_the_period_are_included(api, raw_key, march):
    body = data(api.get(URL, raw_key, startDate="2026-03-02", endDate="2026-03-15"))
    assert [e["date"] for e in body["expenses"]] == [
        "2026-03-15",
        "2026-03-12",
        "2026-03-10",
        "2026-03-02",
    ]
    inside = data(api.get(URL, raw_key, startDate="2026-03-03", endDate="2026-03-14"))
    assert [e["date"] for e in inside["expenses"]] == ["2026-03-12", "2026-03-10"]
    assert inside["totals"] == {
        "currency": "USD",
        "amount": None,  # only the SEK expense, which has no rate: unknown, not 0
        "unconverted": {"SEK": 30.0},
        "expenses": 1,
        "drafts": 1,
    }


def test_a_datetime_bound_counts_its_whole_day(api, raw_key, march):
    body = data(
        api.get(URL, raw_key, startDate="2026-03-10T23:00:00Z", endDate="2026-03-12T00:00:01Z")
    )
    assert body["period"] == {"startDate": "2026-03-10", "endDate": "2026-03-12"}
    assert [e["date"] for e in body["expenses"]] == ["2026-03-12", "2026-03-10"]


def test_without_dates_it_is_the_last_thirty_days(api, raw_key, march):
    body = data(api.get(URL, raw_key))
    assert body["period"] == {"startDate": "2026-02-19", "endDate": "2026-03-20"}
    assert [e["date"] for e in body["expenses"]] == [
        "2026-03-15",
        "2026-03-12",
        "2026-03-10",
        "2026-03-02",
        "2026-02-28",
    ]
    assert body["totals"]["amount"] == 207.0
    only_start = data(api.get(URL, raw_key, startDate="2026-03-11"))
    assert only_start["period"] == {"startDate": "2026-03-11", "endDate": "2026-03-20"}
    only_end = data(api.get(URL, raw_key, endDate="2026-03-01"))
    assert only_end["period"] == {"startDate": "2026-01-31", "endDate": "2026-03-01"}
    assert [e["date"] for e in only_end["expenses"]] == ["2026-02-28"]


def test_pages_follow_limit_and_offset_and_the_totals_cover_every_page(api, raw_key, march):
    first = data(api.get(URL, raw_key, limit="2", **MARCH))
    assert [e["vendor"] for e in first["expenses"]] == ["OpenAI", "Cursor"]
    assert first["pagination"] == {"limit": 2, "offset": 0, "total": 4, "hasMore": True}
    second = data(api.get(URL, raw_key, limit="2", offset="2", **MARCH))
    assert [e["vendor"] for e in second["expenses"]] == ["Anthropic PBC", "Notion Labs"]
    assert second["pagination"] == {"limit": 2, "offset": 2, "total": 4, "hasMore": False}
    assert first["totals"] == second["totals"]
    past = data(api.get(URL, raw_key, offset="10", **MARCH))
    assert (past["expenses"], past["pagination"]["hasMore"]) == ([], False)


def test_the_same_day_lists_the_latest_added_first(api, org, raw_key, freeze):
    freeze(NOW)
    older = spent(org, "Replit", 1, "2026-03-05")
    newer = spent(org, "Lovable", 2, "2026-03-05")
    body = data(api.get(URL, raw_key, **MARCH))
    assert [e["id"] for e in body["expenses"]] == [str(newer.pk), str(older.pk)]


def test_a_receipts_draft_names_its_receipt(api, org, raw_key, freeze):
    from billing.models import Receipt

    freeze(NOW)
    expense = draft(org, "", None, "2026-03-05", category="")
    receipt = Receipt.objects.create(
        organization=org,
        expense=expense,
        file="1/receipt",
        content_type="image/png",
        size=10,
        sha256="0" * 64,
    )
    (listed,) = data(api.get(URL, raw_key, **MARCH))["expenses"]
    assert (listed["receiptId"], listed["amount"], listed["status"], listed["source"]) == (
        str(receipt.pk),
        None,
        "draft",
        "receipt",
    )
    assert (listed["convertedAmount"], listed["reportingCurrency"]) == (None, None)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"startDate": "yesterday"}, "startDate"),
        ({"endDate": "2026-02-30"}, "endDate"),
        ({"startDate": "2026-03-10", "endDate": "2026-03-09"}, "startDate"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
def test_bad_parameters_are_a_validation_error_naming_them(api, raw_key, query, field):
    message = error(api.get(URL, raw_key, **query), 400, "VALIDATION_ERROR")
    assert message.startswith(f"{field}: ")


def test_no_key_is_an_authentication_error(api):
    error(api.get(URL, **MARCH), 401, "AUTHENTICATION_ERROR")
    error(api.get(URL, "mtt_" + "x" * 40, **MARCH), 401, "AUTHENTICATION_ERROR")


def test_another_organizations_key_sees_only_its_own_expenses(api, outsider_key, march):
    body = data(api.get(URL, outsider_key, **MARCH))
    assert [(e["vendor"], e["amount"]) for e in body["expenses"]] == [("OpenAI", 777.0)]
    assert body["totals"]["amount"] == 777.0
    empty = data(api.get(URL, outsider_key, startDate="2026-03-01", endDate="2026-03-14"))
    assert (empty["expenses"], empty["totals"]["amount"], empty["pagination"]["total"]) == (
        [],
        0.0,
        0,
    )


def test_a_read_only_key_and_a_viewer_can_read(api, org, march, viewer_client):
    read_only = api_key_create(organization=org, name="ro", scope=ApiKeyScope.READ).raw_key
    assert data(api.get(URL, read_only, **MARCH))["totals"]["amount"] == 200.0
    assert data(viewer_client.get(URL, MARCH))["pagination"]["total"] == 4


def test_a_list_costs_a_fixed_number_of_queries(
    api, org, raw_key, freeze, django_assert_num_queries
):
    freeze(NOW)
    for day in range(1, 21):
        spent(org, f"Vendor {day}", day, f"2026-03-{day:02d}")
        draft(org, f"Draft {day}", day, f"2026-03-{day:02d}")
    api.get(URL, raw_key)  # warm the key and currency caches
    # The counts and totals (one grouped query), the page with its receipts.
    with django_assert_num_queries(2):
        assert data(api.get(URL, raw_key))["pagination"]["total"] == 40


# --- POST ---------------------------------------------------------------------------------


def test_the_seed_example_is_stored_and_answered_201(client, org, raw_key, freeze):
    freeze(NOW)
    body = data(post(client, SEED, raw_key), 201)
    expense = Expense.objects.get(organization=org)
    assert body == {
        "id": str(expense.pk),
        "amount": 150.0,
        "currency": "USD",
        "convertedAmount": 150.0,
        "reportingCurrency": "USD",
        "vendor": "OpenAI",
        "service": "openai",
        "date": "2026-01-15",
        "category": "Software",
        "description": "",
        "tax": None,
        "source": "manual",
        "status": "confirmed",
        "receiptId": None,
        "createdAt": "2026-03-20T12:00:00Z",
    }
    assert (expense.amount, expense.converted_amount, expense.created_by) == (
        Decimal("150"),
        Decimal("150"),
        None,
    )
    assert at(body["createdAt"]) == expense.created_at


def test_description_and_tax_are_kept_and_the_currency_defaults_to_reporting(client, org, raw_key):
    body = data(
        post(
            client,
            {
                "amount": "19.99",
                "vendor": "  Notion Labs  ",
                "date": "2026-02-01",
                "description": "Team plan",
                "tax": 3.33,
            },
            raw_key,
        ),
        201,
    )
    assert (body["amount"], body["currency"], body["tax"], body["vendor"]) == (
        19.99,
        "USD",
        3.33,
        "Notion Labs",
    )
    assert (body["service"], body["description"], body["category"]) == ("other", "Team plan", "")
    expense = Expense.objects.get()
    assert (expense.amount, expense.tax, expense.service) == (
        Decimal("19.99"),
        Decimal("3.33"),
        "",
    )


def test_another_currency_is_converted_at_the_rate_of_its_day(client, org, raw_key):
    # 17 January 2026 is a Saturday: Friday's rate is the rate of that day.
    ExchangeRate.objects.create(day="2026-01-16", currency="USD", rate=Decimal("1.2"))
    ExchangeRate.objects.create(day="2026-01-19", currency="USD", rate=Decimal("2"))
    body = data(post(client, {**SEED, "currency": "eur", "date": "2026-01-17"}, raw_key), 201)
    assert (body["amount"], body["currency"], body["convertedAmount"]) == (150.0, "EUR", 180.0)
    assert Expense.objects.get().converted_amount == Decimal("180")


def test_without_a_rate_it_is_kept_unconverted_and_counted_apart(client, api, org, raw_key):
    body = data(post(client, {**SEED, "currency": "SEK", "amount": 12.5}, raw_key), 201)
    assert (body["convertedAmount"], body["reportingCurrency"]) == (None, "USD")
    listed = data(api.get(URL, raw_key, startDate="2026-01-01", endDate="2026-01-31"))
    assert (listed["totals"]["amount"], listed["totals"]["unconverted"]) == (None, {"SEK": 12.5})


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"vendor": None}, "vendor"),
        ({"vendor": "   "}, "vendor"),
        ({"vendor": "x" * 201}, "vendor"),
        ({"vendor": 5}, "vendor"),
        ({"amount": -1}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": None}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": 1e15}, "amount"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": 978}, "currency"),
        ({"date": "2026-13-01"}, "date"),
        ({"date": "15/01/2026"}, "date"),
        ({"date": None}, "date"),
        ({"date": "1999-12-31"}, "date"),
        ({"tax": 151}, "tax"),
        ({"tax": -1}, "tax"),
        ({"category": "x" * 101}, "category"),
        ({"description": 5}, "description"),
    ],
)
def test_bad_input_is_a_validation_error_naming_the_field(client, raw_key, change, field):
    message = error(post(client, {**SEED, **change}, raw_key), 400, "VALIDATION_ERROR")
    assert message.startswith(f"{field}: ")
    assert not Expense.objects.exists()


def test_a_missing_field_is_named(client, raw_key):
    for field in ("amount", "vendor", "date"):
        body = {name: value for name, value in SEED.items() if name != field}
        message = error(post(client, body, raw_key), 400, "VALIDATION_ERROR")
        assert message.startswith(f"{field}: ")
    assert not Expense.objects.exists()


def test_a_body_that_is_not_an_object_is_a_validation_error(client, raw_key):
    message = error(post(client, "[1, 2]", raw_key), 400, "VALIDATION_ERROR")
    assert message == "body: must be a JSON object"
    error(post(client, "{not json", raw_key), 400, "VALIDATION_ERROR")
    assert not Expense.objects.exists()


def test_fields_it_does_not_know_are_ignored_as_on_manual_costs(client, raw_key):
    body = data(
        post(
            client,
            {**SEED, "status": "draft", "source": "receipt", "service": "aws", "colour": "red"},
            raw_key,
        ),
        201,
    )
    assert (body["status"], body["source"], body["service"]) == ("confirmed", "manual", "openai")


def test_no_key_is_401_and_stores_nothing(client):
    error(post(client, SEED), 401, "AUTHENTICATION_ERROR")
    assert not Expense.objects.exists()


def test_a_read_only_key_is_403(client, org):
    key = api_key_create(organization=org, name="ro", scope=ApiKeyScope.READ).raw_key
    error(post(client, SEED, key), 403, "AUTHORIZATION_ERROR")
    assert not Expense.objects.exists()


def test_an_outsider_key_writes_to_its_own_organization_only(
    client, org, outsider_org, outsider_key
):
    data(post(client, SEED, outsider_key), 201)
    assert Expense.objects.filter(organization=org).count() == 0
    assert Expense.objects.filter(organization=outsider_org).count() == 1


def test_a_signed_in_member_records_who_added_it(client, org, sign_in):
    user = sign_in(org, Role.MEMBER)
    data(post(client, SEED), 201)
    assert Expense.objects.get(organization=org).created_by == user


def test_a_viewer_member_is_403(client, org, sign_in):
    sign_in(org, Role.VIEWER)
    assert error(post(client, SEED), 403, "AUTHORIZATION_ERROR") == "Viewers cannot add expenses."
    assert not Expense.objects.exists()


def test_the_endpoint_is_documented(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    listed = schema["paths"]["/api/expenses"]["get"]
    assert {p["name"] for p in listed["parameters"]} == {"startDate", "endDate", "limit", "offset"}
    assert set(listed["responses"]) >= {"200", "400", "401", "403"}
    created = schema["paths"]["/api/expenses"]["post"]
    assert set(created["responses"]) >= {"201", "400", "401", "403"}
    published = client.get("/public/openapi.json").json()
    assert "/api/expenses" in published["paths"]
