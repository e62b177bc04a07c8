"""Baskets are configured in Django admin: which catalog models, from when, which version."""

from datetime import date

import pytest

from opendata.models import CostIndexBasket, CostIndexPoint
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db
ADD = "/admin/opendata/costindexbasket/add/"


def basket_form(*constituents):
    data = {
        "key": "coding",
        "version": "v1",
        "starts_on": "2026-01-01",
        "description": "Coding models",
        "constituents-TOTAL_FORMS": str(len(constituents)),
        "constituents-INITIAL_FORMS": "0",
        "constituents-MIN_NUM_FORMS": "0",
        "constituents-MAX_NUM_FORMS": "1000",
    }
    for position, (provider, model) in enumerate(constituents):
        data[f"constituents-{position}-provider"] = provider
        data[f"constituents-{position}-model"] = model
    return data


def test_an_admin_creates_a_basket_of_catalog_models(admin_client):
    response = admin_client.post(
        ADD, basket_form(("openai", "gpt-4o"), ("anthropic", "claude-sonnet-4-0"))
    )

    assert response.status_code == 302
    basket = CostIndexBasket.objects.get(key="coding")
    assert (basket.version, basket.starts_on) == ("v1", date(2026, 1, 1))
    assert sorted(basket.constituents.values_list("model", flat=True)) == [
        "claude-sonnet-4-0",
        "gpt-4o",
    ]


def test_a_model_missing_from_the_catalog_is_a_form_error(admin_client):
    response = admin_client.post(ADD, basket_form(("openai", "gpt-17")))

    assert response.status_code == 200
    assert b"openai/gpt-17 is not in the price catalog." in response.content
    assert not CostIndexBasket.objects.filter(key="coding").exists()


def test_the_refresh_action_recomputes_the_index(admin_client):
    admin_client.post(ADD, basket_form(("openai", "gpt-4o")))
    assert not CostIndexPoint.objects.filter(index_key="coding").exists()

    response = admin_client.post(
        "/admin/opendata/costindexbasket/",
        {
            "action": "refresh_cost_index",
            "_selected_action": [CostIndexBasket.objects.get(key="coding").pk],
        },
    )

    assert response.status_code == 302
    first = CostIndexPoint.objects.filter(index_key="coding").earliest("date")
    assert (first.date, first.blended_per_mtok, first.constituents) == (
        date(2026, 1, 1),
        (3 * first.input_per_mtok + first.output_per_mtok) / 4,
        1,
    )


def test_the_community_opt_in_is_editable_on_the_organization(admin_client):
    org = OrganizationFactory(slug="acme")

    page = admin_client.get(f"/admin/tokentracker/organization/{org.pk}/change/")

    assert "community_data_opt_in" in page.context["adminform"].form.fields


@pytest.mark.parametrize(
    "page",
    ["costindexbasket", "costindexpoint", "communitydaily", "datasetrefresh"],
)
def test_the_open_data_admin_pages_render_and_materialised_rows_are_read_only(admin_client, page):
    response = admin_client.get(f"/admin/opendata/{page}/")

    assert response.status_code == 200
    if page != "costindexbasket":
        assert admin_client.get(f"/admin/opendata/{page}/add/").status_code == 403
