from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from usage.models import ModelAlias, ModelPrice, PriceSource
from usage.price_book import price_book_get
from usage.services.prices import price_revise, prices_sync

pytestmark = pytest.mark.django_db
D = Decimal


def test_migrate_loads_the_installed_genai_prices_catalog():
    assert ModelPrice.objects.count() > 2_500
    assert ModelPrice.objects.values("provider").distinct().count() > 40
    gpt_4o = ModelPrice.objects.get(provider="openai", model="gpt-4o", effective_to=None)
    assert (gpt_4o.input_per_mtok, gpt_4o.output_per_mtok, gpt_4o.cache_read_per_mtok) == (
        D("2.5"),
        D("10"),
        D("1.25"),
    )
    assert gpt_4o.context_window == 128_000
    assert gpt_4o.tier_class == "frontier"
    assert gpt_4o.source == PriceSource.GENAI_PRICES


def test_long_context_tier_is_loaded():
    gemini = ModelPrice.objects.get(provider="google", model="gemini-2.5-pro", effective_to=None)
    assert gemini.long_context_threshold == 200_000
    assert (gemini.long_context_input_per_mtok, gemini.long_context_output_per_mtok) == (
        D("2.5"),
        D("15"),
    )


def test_genai_price_history_becomes_versions_with_dates():
    versioned = ModelPrice.objects.filter(effective_from__isnull=False).first()
    assert versioned is not None
    previous = ModelPrice.objects.get(
        provider=versioned.provider, model=versioned.model, effective_to=versioned.effective_from
    )
    assert previous.effective_from is None or previous.effective_from < versioned.effective_from


def test_aliases_map_dated_snapshots_to_catalog_models():
    assert ModelAlias.objects.get(provider="openai", alias="gpt-4o-2024-08-06").model == "gpt-4o"


def test_sync_prices_twice_changes_nothing():
    out = StringIO()
    call_command("sync_prices", stdout=out)
    assert out.getvalue().startswith("created 0, updated 0,")


def test_sync_prices_restores_a_genai_row_changed_behind_its_back():
    ModelPrice.objects.filter(provider="openai", model="gpt-4o", effective_to=None).update(
        input_per_mtok=D("99")
    )
    report = prices_sync()
    assert report.updated == 1
    assert ModelPrice.objects.get(
        provider="openai", model="gpt-4o", effective_to=None
    ).input_per_mtok == D("2.5")


def test_sync_prices_never_overwrites_an_admin_edit():
    current = ModelPrice.objects.get(provider="openai", model="gpt-4o", effective_to=None)
    revised = price_revise(price=current, changes={"input_per_mtok": D("2")})
    report = prices_sync()
    assert report.skipped_admin_edited >= 1
    revised.refresh_from_db()
    assert revised.input_per_mtok == D("2")
    assert ModelPrice.objects.filter(provider="openai", model="gpt-4o").count() == 2


def test_price_revise_closes_the_old_version_and_opens_a_new_one():
    base = ModelPrice.objects.create(
        provider="p", model="m", input_per_mtok=D("1"), output_per_mtok=D("1")
    )
    start = datetime(2026, 7, 1, tzinfo=UTC)
    new = price_revise(price=base, changes={"output_per_mtok": D("2")}, effective_from=start)
    base.refresh_from_db()
    assert (base.effective_to, base.output_per_mtok) == (start, D("1"))
    assert (new.effective_from, new.effective_to, new.output_per_mtok) == (start, None, D("2"))
    assert new.source == base.source == PriceSource.ADMIN


def test_a_non_price_edit_is_made_in_place():
    base = ModelPrice.objects.create(
        provider="p", model="m", input_per_mtok=D("1"), output_per_mtok=D("1")
    )
    same = price_revise(price=base, changes={"tier_class": "budget"})
    assert same.pk == base.pk
    assert ModelPrice.objects.filter(provider="p").count() == 1


def test_price_revise_refuses_a_start_before_the_version_it_replaces():
    base = ModelPrice.objects.create(
        provider="p",
        model="m",
        input_per_mtok=D("1"),
        output_per_mtok=D("1"),
        effective_from=datetime(2026, 7, 1, tzinfo=UTC),
    )
    with pytest.raises(ValueError, match="must start after"):
        price_revise(
            price=base,
            changes={"input_per_mtok": D("2")},
            effective_from=datetime(2026, 6, 1, tzinfo=UTC),
        )


def test_price_book_reloads_after_a_catalog_change():
    assert price_book_get().resolve("p", "m") is None
    ModelPrice.objects.create(
        provider="p", model="m", input_per_mtok=D("1"), output_per_mtok=D("1")
    )
    assert price_book_get().resolve("p", "m") == ("p", "m")


def admin_form_data(admin_client, url):
    """The change form's current values, as the browser would post them back."""
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    data["is_active"] = "on" if form.initial.get("is_active") else ""
    return data


def test_admin_edit_of_a_price_saves_a_new_version(admin_client):
    price = ModelPrice.objects.get(provider="openai", model="gpt-4o", effective_to=None)
    url = f"/admin/usage/modelprice/{price.pk}/change/"
    data = admin_form_data(admin_client, url)
    data["input_per_mtok"] = "3.00"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    versions = ModelPrice.objects.filter(provider="openai", model="gpt-4o").order_by("id")
    assert [v.input_per_mtok for v in versions] == [D("2.5"), D("3")]
    assert versions[0].effective_to == versions[1].effective_from


def test_admin_lists_and_searches_the_catalog(admin_client):
    response = admin_client.get("/admin/usage/modelprice/", {"q": "gpt-4o", "provider": "openai"})
    assert response.status_code == 200
    assert b"gpt-4o" in response.content


def test_admin_price_change_starting_before_the_current_version_is_a_form_error(admin_client):
    price = ModelPrice.objects.create(
        provider="p",
        model="m",
        input_per_mtok=D("1"),
        output_per_mtok=D("1"),
        effective_from=datetime(2026, 7, 1, tzinfo=UTC),
    )
    url = f"/admin/usage/modelprice/{price.pk}/change/"
    data = admin_form_data(admin_client, url)
    data["input_per_mtok"] = "2"
    data["effective_from_0"], data["effective_from_1"] = "2026-06-01", "00:00:00"
    data.pop("effective_from", None)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "must start after" in str(response.context["adminform"].form.errors)
    assert ModelPrice.objects.filter(provider="p").count() == 1
