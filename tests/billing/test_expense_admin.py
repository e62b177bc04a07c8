"""Expenses in Django admin: listed, filtered, searched, viewed and deleted there; written
through `billing.services.expenses` (which converts and maps the vendor)."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from billing.models import Expense, ExpenseSource, ExpenseStatus, Receipt, receipts_storage
from billing.services.expenses import expense_create
from tests.money import committed

pytestmark = pytest.mark.django_db

LIST = "/admin/billing/expense/"


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    return client


@pytest.fixture
def expenses(org, outsider_org):
    return {
        "openai": expense_create(
            organization_id=org.id, vendor="OpenAI, Inc.", amount="150.25", date="2026-03-05"
        ),
        "notion": expense_create(
            organization_id=outsider_org.id, vendor="Notion Labs", amount=8, date="2026-03-06"
        ),
        "draft": Expense.objects.create(
            organization=org,
            status=ExpenseStatus.DRAFT,
            source=ExpenseSource.RECEIPT,
            vendor="Cursor",
            service="cursor",
        ),
    }


def _rows(response):
    assert response.status_code == 200, response.content
    return [expense.vendor for expense in response.context["cl"].result_list]


def test_every_organizations_expenses_are_listed_with_their_conversion(staff_client, expenses):
    response = staff_client.get(LIST)
    assert sorted(_rows(response)) == ["Cursor", "Notion Labs", "OpenAI, Inc."]
    content = response.content.decode()
    for column in ("amount", "converted_amount", "service", "status", "source"):
        assert f"column-{column}" in content
    # Money as the dashboard writes it, with its currency, not twelve decimal places.
    assert '<td class="field-amount">$150.25</td>' in content
    assert '<td class="field-converted_amount">$150.25</td>' in content
    assert "150.250000000000" not in content
    # A draft read from a receipt has no amount yet.
    assert '<td class="field-amount">—</td>' in content


@pytest.mark.parametrize(
    ("query", "vendors"),
    [
        ({"status__exact": "draft"}, ["Cursor"]),
        ({"status__exact": "confirmed"}, ["Notion Labs", "OpenAI, Inc."]),
        ({"source__exact": "receipt"}, ["Cursor"]),
        ({"service__exact": "openai"}, ["OpenAI, Inc."]),
        ({"q": "notion"}, ["Notion Labs"]),
        ({"q": "inc"}, ["OpenAI, Inc."]),
    ],
)
def test_expenses_are_filtered_and_searched_by_vendor(staff_client, expenses, query, vendors):
    assert sorted(_rows(staff_client.get(LIST, query))) == vendors


def test_an_expense_is_viewed_but_not_added_or_edited(staff_client, expenses):
    expense = expenses["openai"]
    page = staff_client.get(f"{LIST}{expense.pk}/change/")
    assert page.status_code == 200
    assert b'name="amount"' not in page.content  # read-only: no form field
    assert b'name="converted_amount"' not in page.content
    assert staff_client.get(f"{LIST}add/").status_code == 403
    staff_client.post(f"{LIST}{expense.pk}/change/", {"amount": "1", "converted_amount": "1"})
    expense.refresh_from_db()
    assert (expense.amount, expense.converted_amount) == (Decimal("150.25"), Decimal("150.25"))


def test_deleting_an_expense_in_admin_deletes_its_receipt_file(staff_client, org, expenses):
    storage = receipts_storage()
    name = storage.save(f"{org.pk}/scan", ContentFile(b"receipt"))
    draft = expenses["draft"]
    Receipt.objects.create(
        organization=org, expense=draft, file=name, content_type="image/png", size=7, sha256="0"
    )
    with committed():
        response = staff_client.post(f"{LIST}{draft.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Expense.objects.filter(pk=draft.pk).exists()
    assert not storage.exists(name)


def test_a_member_who_is_not_staff_is_sent_to_the_admin_login(client, org, sign_in):
    sign_in(org, "owner")
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
