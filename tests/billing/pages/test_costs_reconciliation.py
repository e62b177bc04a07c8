"""The Costs page's reconciliation section: each synced provider's bill against our events
for the month, by day and by model, with its last sync; on the known month of
tests/billing/reconciliation_data.py."""

import re
from decimal import Decimal

import pytest
from django.urls import path

from tests.billing.reconciliation_data import NOW, march_reconciled
from tests.factories import OrganizationFactory
from tokentracker.models import Role

pytestmark = pytest.mark.django_db

PAGE = "/o/acme/costs/"


@pytest.fixture
def month(org, outsider_org, record, freeze):
    freeze(NOW)
    march_reconciled(org, outsider_org, record)


def _fact(content: str, provider: str, fact: str) -> str:
    section = content.split(f'id="reconciliation-{provider}"', 1)[1].split("</article>", 1)[0]
    found = re.search(rf'<dd data-fact="{fact}">(.*?)</dd>', section, re.S)
    assert found, (provider, fact)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def _rows(content: str, provider: str, table: str) -> list[list[str]]:
    section = content.split(f'id="reconciliation-{provider}"', 1)[1].split("</article>", 1)[0]
    body = section.split(f'class="{table}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]
        for cells in (
            re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
        )
        if cells
    ]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEMBER])
def test_each_synced_provider_is_reconciled_for_the_month(client, sign_in, org, month, role):
    sign_in(org, role)
    response = client.get(PAGE)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Reconciliation, Mar 2026" in content
    assert [provider.provider for provider in response.context["reconciled"]] == [
        "anthropic",
        "openai",
    ]
    facts = {
        fact: _fact(content, "openai", fact)
        for fact in ("billed", "tracked", "untracked", "over-reported", "days", "last-sync")
    }
    assert facts == {
        "billed": "$8.25",
        "tracked": "$5.00 + 1 unpriced event",
        "untracked": "$3.75 (45.45% of the bill)",
        "over-reported": "$0.50",
        "days": "4 synced, 16 not synced yet",
        "last-sync": "20 Mar 2026, 11:50 UTC",
    }
    assert _fact(content, "anthropic", "untracked") == "$0.25 (20.00% of the bill)"
    assert _rows(content, "openai", "reconciliation-by-day")[:5] == [
        ["Sun 1 Mar", "$0.00", "$0.00", "$0.00", "$0.00"],
        ["Mon 2 Mar", "$2.50", "$2.00", "$0.50", "$0.00"],
        ["Tue 3 Mar", "$1.50", "$2.00 + 1 unpriced", "$0.00", "$0.50"],
        ["Wed 4 Mar", "$4.25", "$1.00", "$3.25", "$0.00"],
        ["Thu 5 Mar", "not synced", "$3.00", "—", "—"],
    ]
    assert _rows(content, "openai", "reconciliation-by-model") == [
        ["gpt-4o", "$7.20", "$4.50", "$2.70", "$0.00", "6,600 in 5 req.", "4,400 in 3 req."],
        ["(lines naming no model)", "$0.55", "—", "—", "—", "—", "—"],
        ["gpt-4o-mini", "$0.50", "$0.50", "$0.00", "$0.00", "440 in 1 req.", "440 in 1 req."],
        ["mystery", "—", "—", "—", "—", "—", "300 in 1 req."],
    ]
    # The month's spend counts the larger side of each day: 11.75 + 1.25.
    assert response.context["costs"].totals[-1].amount == Decimal("13.00")
    assert "$500" not in content  # the outsider's bill


def test_without_a_synced_provider_the_section_says_so_without_a_dead_link(
    client, sign_in, freeze, monkeypatch
):
    from django.urls import NoReverseMatch, reverse

    from billing.views import costs

    def without_integrations(name: str, **kwargs: object) -> str:
        if name == "integrations":
            raise NoReverseMatch(name)
        return reverse(name, **kwargs)

    # A build without the Integrations page: no link to a page that is not there.
    monkeypatch.setattr(costs, "reverse", without_integrations)
    freeze(NOW)
    sign_in(OrganizationFactory(slug="fresh"), Role.OWNER)
    content = client.get("/o/fresh/costs/").content.decode()
    empty = content.split('data-testid="reconciliation-empty">', 1)[1].split("</p>", 1)[0]
    assert empty.startswith("No provider is synced yet.")
    assert "<a href" not in empty


def _with_integrations_page():
    from django.http import HttpResponse

    import tokentracker.urls

    return [
        path(
            "o/<slug:org_slug>/integrations/",
            lambda request, org_slug: HttpResponse(),
            name="integrations",
        ),
        *tokentracker.urls.urlpatterns,
    ]


urlpatterns = _with_integrations_page()


def test_the_empty_state_links_the_integrations_page_when_there_is_one(
    client, sign_in, freeze, settings
):
    settings.ROOT_URLCONF = __name__
    freeze(NOW)
    sign_in(OrganizationFactory(slug="fresh"), Role.OWNER)
    content = client.get("/o/fresh/costs/").content.decode()
    assert 'on the <a href="/o/fresh/integrations/">Integrations page</a>' in content


def test_an_outsider_gets_no_page(client, sign_in, outsider_org, month):
    sign_in(outsider_org, Role.OWNER)
    assert client.get(PAGE).status_code == 404


def test_signed_out_is_sent_to_sign_in(client, month):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response["Location"]
