"""`billing.services.expenses`: create, update, confirm and delete an expense; the vendor's
service; every refusal names its field and changes nothing."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from billing.models import (
    Expense,
    ExpenseSource,
    ExpenseStatus,
    Receipt,
    Service,
    receipts_storage,
)
from billing.services.expenses import (
    ExpenseInvalid,
    expense_create,
    expense_delete,
    expense_update,
    service_of_vendor,
)
from tests.factories import UserFactory
from tests.money import committed
from tokentracker.models import ExchangeRate

pytestmark = pytest.mark.django_db

OPENAI = {"vendor": "OpenAI", "amount": "150", "date": "2026-01-15"}


def create(org, **fields):
    return expense_create(organization_id=org.id, **(OPENAI | fields))


def update(expense, **fields):
    return expense_update(organization_id=expense.organization_id, expense_id=expense.pk, **fields)


def draft(org, **fields):
    return Expense.objects.create(
        organization=org, status=ExpenseStatus.DRAFT, source=ExpenseSource.RECEIPT, **fields
    )


# --- The vendor's service ---------------------------------------------------------------


@pytest.mark.parametrize(("value", "label"), Service.choices)
def test_each_of_the_thirteen_services_is_known_by_its_name_and_slug(value, label):
    assert service_of_vendor(label) == value
    assert service_of_vendor(value.upper()) == value
    assert service_of_vendor(f"  {label}  ") == value


@pytest.mark.parametrize(
    ("vendor", "service"),
    [
        ("OpenAI, Inc.", "openai"),
        ("OpenAI LLC", "openai"),
        ("ChatGPT", "openai"),
        ("Open-AI", "openai"),
        ("Anthropic, PBC", "anthropic"),
        ("Claude", "anthropic"),
        ("Google LLC", "google"),
        ("Gemini", "google"),
        ("Google AI", "google"),
        ("Amazon Web Services", "aws"),
        ("Amazon Web Services, Inc.", "aws"),
        ("AWS Bedrock", "aws"),
        ("Google Cloud Platform", "gcp"),
        ("google cloud", "gcp"),
        ("Microsoft Azure", "azure"),
        ("Azure OpenAI", "azure"),
        ("Vercel Inc.", "vercel"),
        ("Anysphere", "cursor"),
        ("GitHub, Inc.", "github"),
        ("GitHub Copilot", "github"),
        ("Replit, Inc.", "replit"),
    ],
)
def test_a_vendors_usual_names_map_to_its_service(vendor, service):
    assert service_of_vendor(vendor) == service


@pytest.mark.parametrize("vendor", ["Notion Labs", "Slack", "Open", "Googleplex", "", "   "])
def test_any_other_vendor_is_no_service(vendor):
    assert service_of_vendor(vendor) == ""


# --- Create -----------------------------------------------------------------------------


def test_an_expense_is_stored_confirmed_mapped_and_converted(org):
    user = UserFactory()
    expense = create(
        org,
        vendor=" Amazon Web Services, Inc. ",
        category=" Cloud ",
        description="Bedrock",
        tax="12.5",
        created_by_id=user.pk,
    )
    expense.refresh_from_db()
    assert (expense.status, expense.source, expense.vendor, expense.service) == (
        "confirmed",
        "manual",
        "Amazon Web Services, Inc.",
        "aws",
    )
    assert (expense.amount, expense.currency, expense.tax) == (
        Decimal("150"),
        "USD",
        Decimal("12.5"),
    )
    assert (expense.converted_amount, expense.converted_currency) == (Decimal("150"), "USD")
    assert (str(expense.date), expense.category, expense.description) == (
        "2026-01-15",
        "Cloud",
        "Bedrock",
    )
    assert expense.created_by == user


def test_another_currency_is_converted_at_the_rate_of_the_expenses_day(org):
    ExchangeRate.objects.create(day="2026-01-15", currency="USD", rate=Decimal("1.2"))
    ExchangeRate.objects.create(day="2026-01-16", currency="USD", rate=Decimal("9"))
    expense = create(org, amount="10.5", currency="eur")
    assert (expense.currency, expense.converted_amount, expense.converted_currency) == (
        "EUR",
        Decimal("12.6"),
        "USD",
    )


def test_without_a_rate_it_is_stored_unconverted(org):
    expense = create(org, currency="JPY")
    expense.refresh_from_db()
    assert (expense.amount, expense.currency, expense.converted_amount) == (
        Decimal("150"),
        "JPY",
        None,
    )
    assert expense.converted_currency == "USD"


def test_tax_may_be_the_whole_amount_but_not_more(org):
    assert create(org, amount=10, tax=10).tax == Decimal(10)
    with pytest.raises(ExpenseInvalid) as refused:
        create(org, amount=10, tax="10.01")
    assert (refused.value.field, refused.value.message) == ("tax", "cannot be more than the amount")
    assert Expense.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"vendor": None}, "vendor"),
        ({"vendor": ""}, "vendor"),
        ({"vendor": "x" * 201}, "vendor"),
        ({"vendor": ["OpenAI"]}, "vendor"),
        ({"amount": None}, "amount"),
        ({"amount": -0.01}, "amount"),
        ({"amount": "1,000"}, "amount"),
        ({"amount": float("inf")}, "amount"),
        ({"amount": "1e15"}, "amount"),
        ({"amount": False}, "amount"),
        ({"currency": "euro"}, "currency"),
        ({"currency": "ABC"}, "currency"),
        ({"currency": ""}, "currency"),
        ({"date": None}, "date"),
        ({"date": "2026-02-30"}, "date"),
        ({"date": "2101-01-01"}, "date"),
        ({"date": 20260115}, "date"),
        ({"category": "x" * 101}, "category"),
        ({"category": 7}, "category"),
        ({"description": "x" * 501}, "description"),
        ({"description": "nul\x00"}, "description"),
        ({"tax": "-1"}, "tax"),
        ({"tax": "some"}, "tax"),
    ],
)
def test_bad_input_names_its_field_and_stores_nothing(org, change, field):
    with pytest.raises(ExpenseInvalid) as refused:
        create(org, **change)
    assert refused.value.field == field
    assert str(refused.value).startswith(f"{field}: ")
    assert not Expense.objects.exists()


# --- Update -----------------------------------------------------------------------------


def test_an_update_changes_the_fields_given_and_keeps_the_others(org):
    expense = create(org, category="Software", description="Credits", tax=10)
    updated = update(expense, vendor="Anthropic", description="")
    assert (updated.vendor, updated.service, updated.description) == ("Anthropic", "anthropic", "")
    expense.refresh_from_db()
    assert (expense.vendor, expense.service, expense.category, expense.description) == (
        "Anthropic",
        "anthropic",
        "Software",
        "",
    )
    assert (expense.amount, expense.tax, expense.converted_amount) == (
        Decimal(150),
        Decimal(10),
        Decimal(150),
    )
    assert update(expense, vendor="Notion").service == ""


def test_an_update_converts_again_only_when_amount_currency_or_date_change(org):
    ExchangeRate.objects.create(day="2026-01-15", currency="USD", rate=Decimal("1.2"))
    expense = create(org, amount=10, currency="EUR")
    assert expense.converted_amount == Decimal(12)
    # The rate of its day is corrected: an edit of anything else keeps what it was converted at.
    ExchangeRate.objects.filter(day="2026-01-15").update(rate=Decimal("1.5"))
    from tokentracker.money import money_book_invalidate

    money_book_invalidate()
    for fields in ({"category": "Cloud"}, {"description": "x"}, {"vendor": "AWS"}, {"tax": 1}):
        assert update(expense, **fields).converted_amount == Decimal(12)
    assert update(expense, amount=20).converted_amount == Decimal(30)
    ExchangeRate.objects.create(day="2026-01-20", currency="USD", rate=Decimal("2"))
    assert update(expense, date="2026-01-20").converted_amount == Decimal(40)
    assert update(expense, currency="USD").converted_amount == Decimal(20)
    # The same values again: nothing to convert, nothing saved.
    before = Expense.objects.get(pk=expense.pk).updated_at
    update(expense, amount="20.000", currency="usd", date="2026-01-20")
    assert Expense.objects.get(pk=expense.pk).updated_at == before


def test_currency_none_means_the_reporting_currency(org):
    ExchangeRate.objects.create(day="2026-01-15", currency="USD", rate=Decimal("1.2"))
    expense = create(org, amount=10, currency="EUR")
    updated = update(expense, currency=None)
    assert (updated.currency, updated.converted_amount) == ("USD", Decimal(10))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "lots"}, "amount"),
        ({"amount": None}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"date": "soon"}, "date"),
        ({"date": None}, "date"),
        ({"vendor": ""}, "vendor"),
        ({"tax": 151}, "tax"),
        ({"amount": 5}, "tax"),  # below the tax it already has
        ({"category": "x" * 101}, "category"),
    ],
)
def test_a_bad_update_names_its_field_and_changes_nothing(org, fields, field):
    expense = create(org, tax=10, category="Software")
    with pytest.raises(ExpenseInvalid) as refused:
        update(expense, **fields)
    assert refused.value.field == field
    stored = Expense.objects.get(pk=expense.pk)
    assert (stored.vendor, stored.amount, stored.tax, stored.date, stored.category) == (
        "OpenAI",
        Decimal(150),
        Decimal(10),
        expense.date,
        "Software",
    )


def test_an_update_of_another_organizations_expense_is_none(org, outsider_org):
    theirs = create(outsider_org)
    assert expense_update(organization_id=org.id, expense_id=theirs.pk, amount=1) is None
    assert expense_update(organization_id=org.id, expense_id=10**9, amount=1) is None
    assert Expense.objects.get(pk=theirs.pk).amount == Decimal(150)


# --- Drafts -----------------------------------------------------------------------------


def test_a_draft_is_filled_in_and_stays_a_draft_until_confirmed(org):
    expense = draft(org)
    filled = update(expense, vendor="Cursor", amount="20", currency="USD")
    assert (filled.status, filled.service, filled.converted_amount) == ("draft", "cursor", None)
    confirmed = update(expense, date="2026-03-01", confirm=True)
    assert (confirmed.status, confirmed.converted_amount, confirmed.converted_currency) == (
        "confirmed",
        Decimal(20),
        "USD",
    )
    assert Expense.objects.get(pk=expense.pk).status == "confirmed"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"vendor": "OpenAI", "currency": "USD", "date": "2026-03-01"}, "amount"),
        ({"vendor": "OpenAI", "amount": 5, "date": "2026-03-01"}, "currency"),
        ({"vendor": "OpenAI", "amount": 5, "currency": "USD"}, "date"),
        ({"amount": 5, "currency": "USD", "date": "2026-03-01"}, "vendor"),
    ],
)
def test_confirming_needs_amount_currency_date_and_vendor(org, fields, field):
    expense = draft(org, **{k: v for k, v in fields.items() if k != "currency"})
    if "currency" in fields:
        expense.currency = fields["currency"]
        expense.save()
    with pytest.raises(ExpenseInvalid) as refused:
        update(expense, confirm=True)
    assert (refused.value.field, refused.value.message) == (
        field,
        "is required to confirm the expense",
    )
    assert Expense.objects.get(pk=expense.pk).status == "draft"


def test_a_draft_confirmed_in_another_currency_is_converted_at_its_days_rate(org):
    ExchangeRate.objects.create(day="2026-03-02", currency="USD", rate=Decimal("1.1"))
    expense = draft(org, vendor="Notion", amount=Decimal(10), currency="EUR")
    confirmed = update(expense, date="2026-03-02", confirm=True)
    assert (confirmed.converted_amount, confirmed.service) == (Decimal(11), "")


# --- Delete -----------------------------------------------------------------------------


def test_delete_removes_the_expense_with_its_receipt_and_file(org, outsider_org):
    storage = receipts_storage()
    name = storage.save(f"{org.pk}/scan", ContentFile(b"receipt"))
    expense = draft(org, vendor="OpenAI")
    Receipt.objects.create(
        organization=org,
        expense=expense,
        file=name,
        content_type="image/png",
        size=7,
        sha256="0" * 64,
    )
    theirs = create(outsider_org)
    assert expense_delete(organization_id=org.id, expense_id=theirs.pk) is False
    with committed():
        assert expense_delete(organization_id=org.id, expense_id=expense.pk) is True
    assert not Receipt.objects.exists()
    assert not storage.exists(name)
    assert list(Expense.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert expense_delete(organization_id=org.id, expense_id=expense.pk) is False


def test_a_rolled_back_delete_keeps_the_file(org):
    from django.db import transaction

    storage = receipts_storage()
    name = storage.save(f"{org.pk}/scan", ContentFile(b"receipt"))
    expense = draft(org, vendor="OpenAI")
    Receipt.objects.create(
        organization=org, expense=expense, file=name, content_type="image/png", size=7, sha256="0"
    )
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        expense_delete(organization_id=org.id, expense_id=expense.pk)
        raise RuntimeError("rolled back")
    assert storage.exists(name)
    assert Receipt.objects.filter(expense=expense).exists()
