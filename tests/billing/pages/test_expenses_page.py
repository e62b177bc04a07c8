"""The Expenses page `/o/<slug>/expenses/`: the list with its filters, pages and totals, the
empty state, add, edit and delete, the CSV export, and who may do what."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import Expense, ExpenseSource, ExpenseStatus
from billing.services.expenses import expense_create, service_of_vendor
from tests.factories import OrganizationFactory
from tokentracker.models import ExchangeRate, Role

pytestmark = pytest.mark.django_db

NOW = "2026-03-21T12:30:00Z"  # the default window: the 90 days from 2025-12-22
PAGE = "/o/acme/expenses/"
ADD = "/o/acme/expenses/new"
CSV = "/o/acme/expenses/export.csv"
FORM = {
    "vendor": "Cursor",
    "amount": "40",
    "currency": "USD",
    "date": "2026-03-12",
    "tax": "",
    "category": "Seats",
    "description": "Cursor Business",
}


def expense(organization, vendor, amount, day, currency="USD", **fields):
    return expense_create(
        organization_id=organization.id,
        vendor=vendor,
        amount=amount,
        date=day,
        currency=currency,
        **fields,
    )


def draft(organization, vendor="", amount=None, day=None, currency=""):
    return Expense.objects.create(
        organization=organization,
        status=ExpenseStatus.DRAFT,
        source=ExpenseSource.RECEIPT,
        vendor=vendor,
        service=service_of_vendor(vendor),
        amount=amount,
        currency=currency,
        date=day,
    )


def edit_url(item):
    return f"/o/acme/expenses/{item.pk}/edit"


def delete_url(item):
    return f"/o/acme/expenses/{item.pk}/delete"


def _text(response):
    return response.content.decode()


def _listed(response):
    return [
        (item.vendor, item.date and item.date.isoformat()) for item in response.context["expenses"]
    ]


@pytest.fixture
def now(freeze):
    freeze(NOW)


@pytest.fixture
def expenses(org, outsider_org, now):
    ExchangeRate.objects.create(day="2026-03-02", currency="USD", rate=Decimal("1.1"))
    items = {
        "openai": expense(
            org,
            "OpenAI Inc",
            "20",
            "2026-03-10",
            tax="3.20",
            category="Seats",
            description="ChatGPT Team",
        ),
        # 40 EUR at 1 EUR = 1.1 USD that day: $44.
        "cursor": expense(org, "Cursor", "40", "2026-03-02", currency="EUR", category="seats"),
        # No GBP rate: unconverted, counted apart.
        "hotel": expense(
            org, "Hotel Berlin", "100", "2026-02-14", currency="GBP", category="Travel"
        ),
        "aws": expense(org, "Amazon Web Services", "12.5", "2026-01-05", category="Cloud"),
        # Before the default 90 days.
        "old": expense(org, "Anthropic", "7", "2025-11-30", category="Cloud"),
        "vercel": draft(org, "Vercel", Decimal(9), date(2026, 3, 15), "USD"),
        "unread": draft(org),
    }
    expense(outsider_org, "Outsider Corp", "666", "2026-03-05")
    return items


# --- The list, its filters, totals and pages ------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEMBER, Role.OWNER])
def test_the_last_90_days_are_listed_with_the_confirmed_total(client, sign_in, org, expenses, role):
    sign_in(org, role)
    response = client.get(PAGE)
    assert response.status_code == 200
    # Confirmed first, latest day first; the undated draft and the old one are not in the window.
    assert _listed(response) == [
        ("Vercel", "2026-03-15"),
        ("OpenAI Inc", "2026-03-10"),
        ("Cursor", "2026-03-02"),
        ("Hotel Berlin", "2026-02-14"),
        ("Amazon Web Services", "2026-01-05"),
    ]
    totals = response.context["totals"]
    # $20 + 40 EUR as $44 + $12.50; 100 GBP has no rate.
    assert (totals.confirmed, totals.amount, totals.unconverted) == (
        4,
        Decimal("76.5"),
        {"GBP": Decimal(100)},
    )
    assert response.context["drafts"] == 2
    content = _text(response)
    assert '<span class="stat-value" data-testid="expenses-total">$76.50</span>' in content
    assert "+ 100.00 GBP unconverted" in content
    assert "4 expenses matching the filters" in content
    assert "2 drafts to confirm" in content
    assert "Confirmed, 22 Dec 2025 to now" in content
    assert 'name="start" value="2025-12-22"' in content
    assert "40.00 EUR" in content
    assert "$44.00" in content
    assert "Outsider" not in content
    assert "666" not in content


@pytest.mark.parametrize(
    ("query", "listed", "total", "confirmed"),
    [
        ({"service": "openai"}, ["OpenAI Inc"], "20", 1),
        ({"service": "aws"}, ["Amazon Web Services"], "12.5", 1),
        ({"service": "other"}, ["Hotel Berlin"], "0", 1),
        ({"category": "Seats"}, ["OpenAI Inc", "Cursor"], "64", 2),
        ({"search": "berlin"}, ["Hotel Berlin"], "0", 1),
        ({"search": "chatgpt"}, ["OpenAI Inc"], "20", 1),
        (
            {"source": "manual"},
            ["OpenAI Inc", "Cursor", "Hotel Berlin", "Amazon Web Services"],
            "76.5",
            4,
        ),
        ({"start": "2026-03-01", "end": "2026-03-31"}, ["Vercel", "OpenAI Inc", "Cursor"], "64", 2),
        (
            {"start": "2026-01-01", "end": "2026-02-28"},
            ["Hotel Berlin", "Amazon Web Services"],
            "12.5",
            2,
        ),
        (
            {"start": ""},
            [
                "",
                "Vercel",
                "OpenAI Inc",
                "Cursor",
                "Hotel Berlin",
                "Amazon Web Services",
                "Anthropic",
            ],
            "83.5",
            5,
        ),
        ({"status": "confirmed", "start": "2026-03-05"}, ["OpenAI Inc"], "20", 1),
    ],
)
def test_filters_narrow_the_list_and_the_totals(
    client, sign_in, org, expenses, query, listed, total, confirmed
):
    sign_in(org, Role.VIEWER)
    response = client.get(PAGE, query)
    assert response.status_code == 200
    assert [vendor for vendor, _ in _listed(response)] == listed
    totals = response.context["totals"]
    assert (totals.amount, totals.confirmed) == (Decimal(total), confirmed)
    assert response.context["drafts"] == 2  # every draft, whatever the filters


def test_the_drafts_link_lists_every_draft_undated_first_without_a_total(
    client, sign_in, org, expenses
):
    sign_in(org, Role.MEMBER)
    content = _text(client.get(PAGE))
    assert '<a href="/o/acme/expenses/?start=&amp;status=draft">2 drafts to confirm</a>' in content
    response = client.get(PAGE, {"start": "", "status": "draft"})
    assert _listed(response) == [("", None), ("Vercel", "2026-03-15")]
    assert response.context["totals"] is None
    assert "Drafts are not spend until confirmed." in _text(response)
    assert "Confirmed, any day to now" in _text(response)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "yesterday"}, "start", "Enter a valid date."),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "end", "Must be on or after From."),
        ({"status": "paid"}, "status", "Select a valid choice. paid is not one of"),
        ({"service": "netlify"}, "service", "Select a valid choice. netlify is not one of"),
        ({"category": "Food"}, "category", "Select a valid choice. Food is not one of"),
    ],
)
def test_a_bad_filter_is_a_400_showing_the_error_and_falling_back_to_its_default(
    client, sign_in, org, expenses, query, field, message
):
    sign_in(org, Role.VIEWER)
    response = client.get(PAGE, query)
    assert response.status_code == 400
    assert list(response.context["filter_form"].errors) == [field]
    assert message in _text(response)
    assert 'class="errorlist' in _text(response)


def test_a_bad_start_falls_back_to_the_default_90_days(client, sign_in, org, expenses):
    sign_in(org, Role.VIEWER)
    response = client.get(PAGE, {"start": "yesterday", "category": "cloud"})
    assert response.status_code == 400
    # The other filters still apply; Anthropic's Cloud expense is older than 90 days.
    assert _listed(response) == [("Amazon Web Services", "2026-01-05")]
    assert _listed(client.get(PAGE, {"start": "", "category": "cloud"})) == [
        ("Amazon Web Services", "2026-01-05"),
        ("Anthropic", "2025-11-30"),
    ]


def test_fifty_expenses_a_page_and_the_totals_cover_every_page(client, sign_in, org, now):
    for number in range(120):
        expense(org, f"Vendor {number:03d}", number + 1, f"2026-03-{number % 20 + 1:02d}")
    sign_in(org, Role.VIEWER)
    first = client.get(PAGE, {"search": "vendor"})
    assert len(first.context["expenses"]) == 50
    # 1 + 2 + ... + 120
    assert first.context["totals"].amount == Decimal(7260)
    content = _text(first)
    assert "1\u201350 of 120" in content
    assert "Page 1 of 3" in content
    assert '<a href="?search=vendor&amp;page=2" rel="next">' in content
    last = client.get(PAGE, {"search": "vendor", "page": 3})
    assert len(last.context["expenses"]) == 20
    assert "101\u2013120 of 120" in _text(last)
    assert last.context["totals"].amount == Decimal(7260)
    listed = {
        item.vendor
        for page in (1, 2, 3)
        for item in client.get(PAGE, {"page": page}).context["expenses"]
    }
    assert len(listed) == 120


def test_a_new_organization_sees_what_an_expense_is_and_how_to_add_one(client, sign_in, now):
    sign_in(OrganizationFactory(slug="fresh"), Role.MEMBER)
    response = client.get("/o/fresh/expenses/")
    assert response.status_code == 200
    content = _text(response)
    assert "No expenses yet" in content
    assert "An expense is money Fresh spent with a vendor on one day" in content
    assert '<a href="/o/fresh/expenses/new">Add one by hand</a>' in content
    assert "<table" not in content
    assert "Export CSV" not in content


def test_a_viewer_of_a_new_organization_is_told_members_add_them(client, sign_in, now):
    sign_in(OrganizationFactory(slug="fresh"), Role.VIEWER)
    content = _text(client.get("/o/fresh/expenses/"))
    assert "Members of Fresh add them by hand or by uploading a receipt" in content
    assert "/o/fresh/expenses/new" not in content


def test_filters_matching_nothing_say_so(client, sign_in, org, expenses):
    sign_in(org, Role.VIEWER)
    content = _text(client.get(PAGE, {"search": "nothing like it"}))
    assert "No expenses match these filters" in content
    assert "No expenses yet" not in content


def test_the_page_is_in_the_navigation(client, sign_in, org, now):
    sign_in(org, Role.VIEWER)
    content = _text(client.get(PAGE))
    assert '<a href="/o/acme/expenses/" aria-current="page">Expenses</a>' in content


def test_the_list_costs_a_fixed_number_of_queries(
    client, sign_in, org, now, django_assert_max_num_queries
):
    sign_in(org, Role.MEMBER)
    for number in range(60):
        expense(org, f"Vendor {number}", number + 1, "2026-03-01", category=f"c{number % 5}")
    draft(org, "Vercel")
    client.get(PAGE)
    # Session and user, membership, categories, the page's count and rows (authors and
    # receipts joined), the totals, the drafts' count, the organization switcher.
    with django_assert_max_num_queries(9):
        assert client.get(PAGE).status_code == 200


# --- Add, edit, delete ----------------------------------------------------------------------


def test_a_member_adds_an_expense_and_sees_it_in_the_list_and_totals(client, sign_in, org, now):
    ExchangeRate.objects.create(day="2026-03-12", currency="USD", rate=Decimal("1.1"))
    user = sign_in(org, Role.MEMBER)
    form = client.get(ADD)
    assert form.status_code == 200
    content = _text(form)
    assert '<option value="USD" selected>' in content  # the reporting currency
    assert 'value="2026-03-21"' in content  # today
    response = client.post(ADD, {**FORM, "currency": "EUR", "tax": "6.4"})
    assert response.status_code == 302
    assert response["Location"] == PAGE
    saved = Expense.objects.get(organization=org)
    assert (
        saved.vendor,
        saved.service,
        saved.amount,
        saved.currency,
        saved.tax,
        saved.converted_amount,
        saved.date,
        saved.status,
        saved.source,
        saved.created_by,
    ) == (
        "Cursor",
        "cursor",
        Decimal(40),
        "EUR",
        Decimal("6.4"),
        Decimal(44),
        date(2026, 3, 12),
        "confirmed",
        "manual",
        user,
    )
    page = client.get(PAGE)
    assert page.context["totals"].amount == Decimal(44)
    assert "Expense added: Cursor, 2026-03-12." in _text(page)


def test_an_expense_before_the_default_window_is_shown_once_added(client, sign_in, org, now):
    sign_in(org, Role.MEMBER)
    response = client.post(ADD, {**FORM, "date": "2025-06-30"})
    assert response["Location"] == f"{PAGE}?start=2025-06-30"
    assert _listed(client.get(response["Location"])) == [("Cursor", "2025-06-30")]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"amount": "-1"}, "amount", "Ensure this value is greater than or equal to 0."),
        ({"amount": "lots"}, "amount", "Enter a number."),
        ({"amount": ""}, "amount", "This field is required."),
        (
            {"amount": "1000000000000000"},
            "amount",
            "Ensure that there are no more than 15 digits before the decimal point.",
        ),
        ({"vendor": ""}, "vendor", "This field is required."),
        ({"vendor": "   "}, "vendor", "This field is required."),
        ({"date": "2026-13-01"}, "date", "Enter a valid date."),
        ({"date": "1999-12-31"}, "date", "Must be a date from 2000 to 2100."),
        ({"currency": "EURO"}, "currency", "Select a valid choice."),
        ({"tax": "41"}, "tax", "Cannot be more than the amount."),
        ({"category": "x" * 101}, "category", "Ensure this value has at most 100 characters"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(
    client, sign_in, org, now, change, field, message
):
    sign_in(org, Role.MEMBER)
    response = client.post(ADD, {**FORM, **change})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    content = _text(response)
    assert message in content
    assert "Nothing was saved: correct the fields marked below." in content
    assert not Expense.objects.exists()


def test_a_member_edits_an_expense_and_it_converts_again(client, sign_in, org, now):
    ExchangeRate.objects.create(day="2026-02-27", currency="USD", rate=Decimal("1.5"))
    item = expense(org, "Cursor", "40.5", "2026-03-12", category="Seats", tax="2")
    sign_in(org, Role.MEMBER)
    form = client.get(edit_url(item))
    assert form.status_code == 200
    assert 'value="40.5"' in _text(form)
    assert 'value="2026-03-12"' in _text(form)
    response = client.post(
        edit_url(item),
        {**FORM, "vendor": "Anthropic", "amount": "10", "currency": "EUR", "date": "2026-02-27"},
    )
    assert response.status_code == 302
    assert response["Location"] == PAGE
    item.refresh_from_db()
    assert (
        item.vendor,
        item.service,
        item.amount,
        item.currency,
        item.date,
        item.converted_amount,
        item.tax,
        item.description,
    ) == (
        "Anthropic",
        "anthropic",
        Decimal(10),
        "EUR",
        date(2026, 2, 27),
        Decimal(15),
        None,  # the tax left empty
        "Cursor Business",
    )
    assert "Expense saved: Anthropic, 2026-02-27." in _text(client.get(PAGE))


def test_a_bad_edit_is_a_400_and_changes_nothing(client, sign_in, org, now):
    item = expense(org, "Cursor", "40", "2026-03-12")
    sign_in(org, Role.MEMBER)
    response = client.post(edit_url(item), {**FORM, "amount": "12", "tax": "13"})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["tax"]
    assert "Cannot be more than the amount." in _text(response)
    item.refresh_from_db()
    assert (item.amount, item.tax) == (Decimal(40), None)


def test_a_member_deletes_an_expense_once_confirmed(client, sign_in, org, now):
    item = expense(org, "Cursor", "40", "2026-03-12")
    sign_in(org, Role.MEMBER)
    unconfirmed = client.post(delete_url(item))
    assert unconfirmed.status_code == 302
    assert Expense.objects.filter(pk=item.pk).exists()
    assert "Confirm to delete Cursor, 2026-03-12: nothing was changed." in _text(client.get(PAGE))
    confirmed = client.post(delete_url(item), {"confirm": "yes"})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == PAGE
    assert not Expense.objects.exists()
    assert "Expense deleted: Cursor, 2026-03-12." in _text(client.get(PAGE))
    assert client.post(delete_url(item), {"confirm": "yes"}).status_code == 404


# --- Who may do what ------------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_log_in(client, org, now):
    item = expense(org, "Cursor", "40", "2026-03-12")
    for path in (PAGE, ADD, CSV, edit_url(item)):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login?next={path}"
    for path, body in ((ADD, FORM), (edit_url(item), FORM), (delete_url(item), {"confirm": "yes"})):
        assert client.post(path, body).status_code == 302
    item.refresh_from_db()
    assert (Expense.objects.count(), item.amount) == (1, Decimal(40))


def test_an_outsider_gets_404_and_changes_nothing(client, sign_in, org, outsider_org, now):
    item = expense(org, "Cursor", "40", "2026-03-12")
    sign_in(outsider_org, Role.OWNER)
    for path in (PAGE, ADD, CSV, edit_url(item)):
        assert client.get(path).status_code == 404
    assert client.post(ADD, FORM).status_code == 404
    assert client.post(edit_url(item), {**FORM, "amount": "1"}).status_code == 404
    assert client.post(delete_url(item), {"confirm": "yes"}).status_code == 404
    # Through their own organization's address, acme's expense is not theirs either.
    own = f"/o/outsider/expenses/{item.pk}"
    assert client.get(f"{own}/edit").status_code == 404
    assert client.post(f"{own}/edit", {**FORM, "amount": "1"}).status_code == 404
    assert client.post(f"{own}/delete", {"confirm": "yes"}).status_code == 404
    export = client.get("/o/outsider/expenses/export.csv", {"start": ""})
    assert b"".join(export.streaming_content).decode() == (
        "id,date,vendor,service,category,description,amount,currency,tax,converted_amount,"
        "reporting_currency,source,status,created_by,created_at\n"
    )
    item.refresh_from_db()
    assert (Expense.objects.count(), item.amount, item.organization) == (1, Decimal(40), org)


def test_a_viewer_reads_but_cannot_add_edit_or_delete(client, sign_in, org, now):
    item = expense(org, "Cursor", "40", "2026-03-12")
    sign_in(org, Role.VIEWER)
    content = _text(client.get(PAGE))
    assert "Cursor" in content
    assert ADD not in content
    assert edit_url(item) not in content
    assert delete_url(item) not in content
    assert client.get(CSV).status_code == 200
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, FORM).status_code == 403
    assert client.get(edit_url(item)).status_code == 403
    assert client.post(edit_url(item), {**FORM, "amount": "1"}).status_code == 403
    assert client.post(delete_url(item), {"confirm": "yes"}).status_code == 403
    item.refresh_from_db()
    assert (Expense.objects.count(), item.amount) == (1, Decimal(40))


# --- CSV ------------------------------------------------------------------------------------


def test_the_csv_holds_the_filtered_list_exactly(client, sign_in, org, expenses):
    user = sign_in(org, Role.VIEWER, email="vic@example.com")
    Expense.objects.filter(pk=expenses["openai"].pk).update(created_by=user)
    # A vendor a spreadsheet would take for a formula is written as text.
    formula = expense(org, '=HYPERLINK("http://x")', "1", "2026-03-20", description='a, "b"')
    response = client.get(CSV, {"start": "2026-02-01"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == (
        'attachment; filename="acme_expenses_2026-02-01_2026-03-21.csv"'
    )
    ids = {name: item.pk for name, item in expenses.items()}
    assert b"".join(response.streaming_content).decode() == (
        "id,date,vendor,service,category,description,amount,currency,tax,converted_amount,"
        "reporting_currency,source,status,created_by,created_at\n"
        f'{formula.pk},2026-03-20,"\'=HYPERLINK(""http://x"")",,,"a, ""b""",1,USD,,1,USD,'
        "manual,confirmed,,2026-03-21T12:30:00Z\n"
        f"{ids['vercel']},2026-03-15,Vercel,vercel,,,9,USD,,,,receipt,draft,,2026-03-21T12:30:00Z\n"
        f"{ids['openai']},2026-03-10,OpenAI Inc,openai,Seats,ChatGPT Team,20,USD,3.2,20,USD,"
        "manual,confirmed,vic@example.com,2026-03-21T12:30:00Z\n"
        f"{ids['cursor']},2026-03-02,Cursor,cursor,seats,,40,EUR,,44,USD,"
        "manual,confirmed,,2026-03-21T12:30:00Z\n"
        f"{ids['hotel']},2026-02-14,Hotel Berlin,,Travel,,100,GBP,,,USD,"
        "manual,confirmed,,2026-03-21T12:30:00Z\n"
    )


def test_the_csv_follows_every_filter_of_the_page(client, sign_in, org, expenses):
    sign_in(org, Role.VIEWER)
    response = client.get(CSV, {"category": "Seats", "search": "cursor"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [line.split(",")[2] for line in lines[1:]] == ["Cursor"]


def test_a_csv_with_a_bad_filter_is_a_400_rather_than_other_rows(client, sign_in, org, expenses):
    sign_in(org, Role.VIEWER)
    response = client.get(CSV, {"start": "2026-03-10", "end": "2026-03-01"})
    assert response.status_code == 400
    assert response.content.decode() == "To: Must be on or after From."
