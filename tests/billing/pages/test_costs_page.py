"""The Costs page `/o/<slug>/costs/`: every service by month with the change against last
month and the totals, manual costs (members add, edit, delete; viewers read), cheaper
models, and the empty state."""

from decimal import Decimal

import pytest

from billing.models import ManualCost
from billing.services.manual_costs import manual_cost_create
from tests.factories import OrganizationFactory
from tokentracker.models import ExchangeRate, Role
from usage.models import ModelPrice, TierClass

pytestmark = pytest.mark.django_db

NOW = "2026-03-21T12:30:00Z"
PAGE = "/o/acme/costs/"
ADD = "/o/acme/costs/manual"
FORM = {
    "service": "cursor",
    "amount": "40",
    "currency": "USD",
    "month": "3",
    "year": "2026",
    "category": "Seats",
    "description": "Cursor Business",
}


def manual(organization, service, amount, month, year=2026, **fields):
    return manual_cost_create(
        organization_id=organization.id,
        service=service,
        amount=amount,
        month=month,
        year=year,
        **fields,
    )


def edit_url(cost):
    return f"/o/acme/costs/manual/{cost.pk}"


def delete_url(cost):
    return f"/o/acme/costs/manual/{cost.pk}/delete"


@pytest.fixture
def now(freeze):
    freeze(NOW)


@pytest.fixture
def spend(org, outsider_org, record, now):
    # Catalog prices (genai-prices snapshot): gpt-4o $2.50 input, $10 output per Mtok.
    record(
        # 100,000 x 2.50 + 10,000 x 10 per Mtok = $0.35
        {"occurred_at": "2026-03-20T10:00:00Z", "input_tokens": 100_000, "output_tokens": 10_000},
        # 200,000 x 2.50 per Mtok = $0.50, last month
        {"occurred_at": "2026-02-10T08:00:00Z", "input_tokens": 200_000},
        # No price known
        {
            "occurred_at": "2026-03-21T09:00:00Z",
            "provider": "mistral",
            "model": "mystery-model",
            "input_tokens": 100,
        },
        organization=org,
    )
    manual(org, "cursor", 40, 3)
    manual(org, "cursor", 20, 2)
    manual(org, "openai", 50, 1)
    manual(org, "aws", 12, 3, currency="EUR")  # no EUR rate: unconverted
    manual(org, "aws", 5, 9, year=2025)  # before the six months shown
    record(
        {"occurred_at": "2026-03-05T12:00:00Z", "input_tokens": 1_000_000},
        organization=outsider_org,
    )
    manual(outsider_org, "cursor", 666, 3)


def _text(response):
    return response.content.decode()


def _cells(costs):
    return [
        (row.service, [cell.priced_amount for cell in row.months], row.change_percent)
        for row in costs.services
    ]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEMBER, Role.OWNER])
def test_every_service_by_month_with_the_totals_and_the_change(client, sign_in, org, spend, role):
    sign_in(org, role)
    response = client.get(PAGE)
    assert response.status_code == 200
    costs = response.context["costs"]
    assert [month.label for month in costs.months] == [
        "Oct 2025",
        "Nov 2025",
        "Dec 2025",
        "Jan 2026",
        "Feb 2026",
        "Mar 2026",
    ]
    zero = Decimal(0)
    assert _cells(costs) == [
        ("cursor", [zero, zero, zero, zero, Decimal(20), Decimal(40)], Decimal("100.00")),
        (
            "openai",
            [zero, zero, zero, Decimal(50), Decimal("0.5"), Decimal("0.35")],
            Decimal("-30.00"),
        ),
        # Only a cost with no exchange rate, or only unpriced requests: no amount, no change.
        ("aws", [zero, zero, zero, zero, zero, None], None),
        ("mistral", [zero, zero, zero, zero, zero, None], None),
    ]
    assert [total.priced_amount for total in costs.totals] == [
        zero,
        zero,
        zero,
        Decimal(50),
        Decimal("20.5"),
        Decimal("40.35"),
    ]
    march = costs.totals[-1]
    assert (march.unpriced_events, march.unconverted) == (1, {"EUR": Decimal(12)})
    # (40.35 - 20.50) / 20.50
    assert costs.change_percent == Decimal("96.83")
    content = _text(response)
    assert '<span class="stat-value" data-testid="month-total">$40.35' in content
    assert '<span data-testid="month-change">+96.83%</span>' in content
    assert "+ 12.00 EUR unconverted" in content
    assert "+ 1 unpriced" in content
    assert "\u221230.00%" in content  # openai, with a real minus sign
    assert '<th scope="row">Mistral</th>' in content
    assert "666" not in content  # another organization's manual cost
    assert "$2.50" not in content  # nor its usage


def test_manual_costs_are_listed_latest_month_first_then_latest_added(client, sign_in, org, spend):
    sign_in(org, Role.VIEWER)
    listed = client.get(PAGE).context["manual_costs"]
    assert [(c.service, c.year, c.month, c.converted_amount) for c in listed] == [
        ("aws", 2026, 3, None),
        ("cursor", 2026, 3, Decimal(40)),
        ("cursor", 2026, 2, Decimal(20)),
        ("openai", 2026, 1, Decimal(50)),
        ("aws", 2025, 9, Decimal(5)),
    ]


def test_a_new_organization_sees_the_empty_state(client, sign_in, now):
    sign_in(OrganizationFactory(slug="fresh"), Role.OWNER)
    response = client.get("/o/fresh/costs/")
    assert response.status_code == 200
    content = _text(response)
    assert "No costs yet" in content
    assert "costs-by-month" not in content
    assert "No manual costs yet." in content
    assert "recommendations appear once there is priced API usage" in content
    assert 'action="/o/fresh/costs/manual"' in content  # an owner may add the first one


@pytest.fixture
def catalog(db):
    for model, input_price, output_price in (("big", "10", "30"), ("big-lite", "4", "12")):
        ModelPrice.objects.create(
            provider="acme-ai",
            model=model,
            input_per_mtok=Decimal(input_price),
            output_per_mtok=Decimal(output_price),
            tier_class=TierClass.FRONTIER,
            modality="text",
            context_window=200_000,
        )


def calls(model):
    return [
        {
            "provider": "acme-ai",
            "model": model,
            "occurred_at": f"2026-03-20T{hour:02d}:00:00Z",
            "input_tokens": 10_000,
            "output_tokens": 1_000,
        }
        for hour in range(10)
    ]


def test_cheaper_models_say_what_they_would_have_cost(client, sign_in, org, record, now, catalog):
    record(*calls("big"))
    sign_in(org, Role.VIEWER)
    response = client.get(PAGE)
    [found] = response.context["recommendations"]
    # 10 x (10,000 x $10 + 1,000 x $30) / M = $1.30 against 10 x (10,000 x $4 + 1,000 x $12) / M
    assert (found.alternative, found.current_cost, found.alternative_cost) == (
        "big-lite",
        Decimal("1.3"),
        Decimal("0.52"),
    )
    content = " ".join(_text(response).split())
    assert (
        "<strong>big-lite</strong> would have cost $0.52 instead of $1.30 for the 10 requests "
        "sent to <strong>big</strong> (acme-ai): $0.78 less."
    ) in content


def test_a_euro_organizations_cheaper_models_are_in_euros(
    client, sign_in, org, record, now, catalog
):
    org.reporting_currency = "EUR"
    org.save()
    ExchangeRate.objects.create(day="2026-03-20", currency="USD", rate=Decimal("1.25"))
    record(*calls("big"))
    sign_in(org, Role.VIEWER)
    response = client.get(PAGE)
    [found] = response.context["recommendations"]
    # $1.30 and $0.52 (as above) at 1 USD = 0.80 EUR that day: 1.04 and 0.416 EUR.
    assert (found.currency, found.current_cost, found.alternative_cost) == (
        "EUR",
        Decimal("1.04"),
        Decimal("0.416"),
    )
    content = " ".join(_text(response).split())
    assert (
        "<strong>big-lite</strong> would have cost 0.416 EUR instead of 1.04 EUR for the 10 "
        "requests sent to <strong>big</strong> (acme-ai): 0.624 EUR less."
    ) in content
    assert "big-lite would have cost 0.4160 EUR instead of 1.04 EUR (60% less)" in content
    recommendations = content.split('id="recommendations-heading"')[1].split("</section>")[0]
    assert "$" not in recommendations


def test_with_usage_but_nothing_cheaper_the_recommendations_say_so(
    client, sign_in, org, record, now, catalog
):
    record(*calls("big-lite"))
    sign_in(org, Role.VIEWER)
    response = client.get(PAGE)
    assert response.context["recommendations"] == []
    assert "No cheaper model found for the last 30 days: every model used is already" in _text(
        response
    )


def test_a_member_adds_a_manual_cost_and_sees_it_in_the_table_and_totals(client, sign_in, org, now):
    ExchangeRate.objects.create(day="2026-03-20", currency="USD", rate=Decimal("1.1"))
    user = sign_in(org, Role.MEMBER)
    response = client.post(ADD, {**FORM, "amount": "40", "currency": "EUR"})
    assert response.status_code == 302
    assert response["Location"] == PAGE
    cost = ManualCost.objects.get(organization=org)
    assert (cost.service, cost.amount, cost.currency, cost.converted_amount, cost.created_by) == (
        "cursor",
        Decimal(40),
        "EUR",
        Decimal(44),
        user,
    )
    page = client.get(PAGE)
    assert [(row.service, row.months[-1].amount) for row in page.context["costs"].services] == [
        ("cursor", Decimal(44))
    ]
    content = _text(page)
    assert "Manual cost added: Cursor, Mar 2026." in content
    assert '<span class="stat-value" data-testid="month-total">$44.00' in content
    assert "40.00 EUR" in content


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"amount": "1000000000000000"}, "amount"),
        ({"amount": ""}, "amount"),
        ({"month": "13"}, "month"),
        ({"year": "1999"}, "year"),
        ({"service": "netlify"}, "service"),
        ({"currency": "EURO"}, "currency"),
        ({"category": "x" * 101}, "category"),
    ],
)
def test_bad_form_input_is_a_400_naming_the_field_and_stores_nothing(
    client, sign_in, org, now, change, field
):
    sign_in(org, Role.MEMBER)
    response = client.post(ADD, {**FORM, **change})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert 'class="errorlist' in _text(response)
    assert not ManualCost.objects.exists()


def test_a_member_edits_a_manual_cost_and_it_converts_again(client, sign_in, org, now):
    ExchangeRate.objects.create(day="2026-02-27", currency="USD", rate=Decimal("1.5"))
    cost = manual(org, "cursor", "40.5", 3, category="Seats")
    sign_in(org, Role.MEMBER)
    form = client.get(edit_url(cost))
    assert form.status_code == 200
    assert form.context["form"].initial["amount"] == "40.5"
    assert 'value="40.5"' in _text(form)
    response = client.post(
        edit_url(cost), {**FORM, "amount": "10", "currency": "EUR", "month": "2"}
    )
    assert response.status_code == 302
    assert response["Location"] == PAGE
    cost.refresh_from_db()
    assert (cost.amount, cost.currency, cost.month, cost.converted_amount) == (
        Decimal(10),
        "EUR",
        2,
        Decimal(15),
    )
    assert "Manual cost saved: Cursor, Feb 2026." in _text(client.get(PAGE))


def test_a_bad_edit_is_a_400_and_changes_nothing(client, sign_in, org, now):
    cost = manual(org, "cursor", 40, 3)
    sign_in(org, Role.MEMBER)
    response = client.post(edit_url(cost), {**FORM, "amount": "12", "month": "0"})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["month"]
    cost.refresh_from_db()
    assert (cost.amount, cost.month) == (Decimal(40), 3)


def test_a_member_deletes_a_manual_cost_once_confirmed(client, sign_in, org, now):
    cost = manual(org, "cursor", 40, 3)
    sign_in(org, Role.MEMBER)
    unconfirmed = client.post(delete_url(cost))
    assert unconfirmed.status_code == 302
    assert ManualCost.objects.filter(pk=cost.pk).exists()
    assert "Confirm to delete Cursor, Mar 2026: nothing was changed." in _text(client.get(PAGE))
    confirmed = client.post(delete_url(cost), {"confirm": "yes"})
    assert confirmed.status_code == 302
    assert not ManualCost.objects.exists()
    assert "Manual cost deleted: Cursor, Mar 2026." in _text(client.get(PAGE))
    assert client.post(delete_url(cost), {"confirm": "yes"}).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client, org):
    cost = manual(org, "cursor", 40, 3)
    for path in (PAGE, edit_url(cost)):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login?next={path}"
    for path, body in ((ADD, FORM), (edit_url(cost), FORM), (delete_url(cost), {"confirm": "yes"})):
        assert client.post(path, body).status_code == 302
    cost.refresh_from_db()
    assert (ManualCost.objects.count(), cost.amount) == (1, Decimal(40))


def test_an_outsider_gets_404_and_changes_nothing(client, sign_in, org, outsider_org):
    cost = manual(org, "cursor", 40, 3)
    sign_in(outsider_org, Role.OWNER)
    assert client.get(PAGE).status_code == 404
    assert client.get(edit_url(cost)).status_code == 404
    assert client.post(ADD, FORM).status_code == 404
    assert client.post(edit_url(cost), {**FORM, "amount": "1"}).status_code == 404
    assert client.post(delete_url(cost), {"confirm": "yes"}).status_code == 404
    # Through their own organization's address, acme's cost is not theirs either.
    own = f"/o/outsider/costs/manual/{cost.pk}"
    assert client.get(own).status_code == 404
    assert client.post(own, {**FORM, "amount": "1"}).status_code == 404
    assert client.post(f"{own}/delete", {"confirm": "yes"}).status_code == 404
    cost.refresh_from_db()
    assert (ManualCost.objects.count(), cost.amount, cost.organization) == (1, Decimal(40), org)


def test_a_viewer_sees_no_forms_and_cannot_add_edit_or_delete(client, sign_in, org, now):
    cost = manual(org, "cursor", 40, 3)
    sign_in(org, Role.VIEWER)
    content = _text(client.get(PAGE))
    assert "Cursor" in content
    assert "Add a manual cost" not in content
    assert edit_url(cost) not in content
    assert delete_url(cost) not in content
    assert client.post(ADD, FORM).status_code == 403
    assert client.get(edit_url(cost)).status_code == 403
    assert client.post(edit_url(cost), {**FORM, "amount": "1"}).status_code == 403
    assert client.post(delete_url(cost), {"confirm": "yes"}).status_code == 403
    cost.refresh_from_db()
    assert (ManualCost.objects.count(), cost.amount) == (1, Decimal(40))


def test_the_page_is_in_the_navigation(client, sign_in, org, now):
    sign_in(org, Role.VIEWER)
    content = _text(client.get(PAGE))
    assert '<a href="/o/acme/costs/" aria-current="page">Costs</a>' in content


def test_the_page_costs_a_fixed_number_of_queries(
    client, sign_in, org, record, now, django_assert_max_num_queries
):
    sign_in(org, Role.MEMBER)
    record(*({"occurred_at": "2026-03-20T10:00:00Z", "model": f"m-{n}"} for n in range(10)))
    for month in range(1, 13):
        manual(org, "openai", month, month, year=2025)
        manual(org, "cursor", month, month, year=2025, currency="EUR")
    client.get(PAGE)
    # Session and membership, six months of usage, manual costs, expenses and untracked
    # spend (synced providers' bills beyond the events: one query a month), the manual cost
    # page (count, rows with their authors), the month's expenses and the drafts' count, the
    # reconciliation's integrations (none here, so nothing more), the recommendations' usage
    # and catalog.
    with django_assert_max_num_queries(37):
        assert client.get(PAGE).status_code == 200


def test_the_months_expenses_are_counted_with_a_link_to_the_expenses_page(
    client, sign_in, org, outsider_org, now
):
    from billing.models import Expense, ExpenseSource, ExpenseStatus
    from billing.services.expenses import expense_create

    for vendor, amount, day, currency in (
        ("Catering Co", "20", "2026-03-10", "USD"),
        ("Hotel", "100", "2026-03-11", "GBP"),  # no rate: apart
        ("Conference Ltd", "40", "2026-02-10", "USD"),  # last month
    ):
        expense_create(
            organization_id=org.id, vendor=vendor, amount=amount, date=day, currency=currency
        )
    Expense.objects.create(
        organization=org, status=ExpenseStatus.DRAFT, source=ExpenseSource.RECEIPT
    )
    expense_create(organization_id=outsider_org.id, vendor="X", amount="666", date="2026-03-10")
    sign_in(org, Role.VIEWER)
    response = client.get(PAGE)
    content = " ".join(_text(response).split())
    assert (
        '<a href="/o/acme/expenses/">Expenses</a> in Mar 2026: 2 confirmed, $20.00 + 100.00 GBP '
        "unconverted, counted in spend above; "
        '<a href="/o/acme/expenses/?start=&amp;status=draft">1 draft to confirm</a>, not counted '
        "until confirmed."
    ) in content
    other = [row for row in response.context["costs"].services if row.service == "other"]
    assert [(row.months[-2].amount, row.months[-1].amount) for row in other] == [
        (Decimal(40), Decimal(20))
    ]


def test_a_month_without_expenses_says_so(client, sign_in, org, now):
    sign_in(org, Role.VIEWER)
    content = " ".join(_text(client.get(PAGE)).split())
    assert '<a href="/o/acme/expenses/">Expenses</a> in Mar 2026: 0 confirmed.' in content
