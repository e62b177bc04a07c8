"""/api/v1/data/models: ETag and Last-Modified move with every catalog write, so a client
holding an old copy never gets 304 for a changed catalog."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils.http import http_date

from usage import genai_catalog
from usage.genai_catalog import CatalogRow
from usage.models import ModelPrice, PriceSource
from usage.services.prices import prices_sync

pytestmark = pytest.mark.django_db
URL = "/api/v1/data/models"
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
SYNCED_AT = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def settled_catalog(monkeypatch):
    """A catalog of one model as the sync left it long ago, and a snapshot holding it."""
    ModelPrice.objects.all().delete()
    ModelPrice.objects.create(
        provider="acme", model="widget", input_per_mtok=Decimal("1"), output_per_mtok=Decimal("4")
    )
    ModelPrice.objects.filter(provider="acme").update(updated_at=LONG_AGO)
    snapshot = [CatalogRow("acme", "widget", None, None, {"input_per_mtok": Decimal("1")})]
    monkeypatch.setattr(genai_catalog, "catalog_rows", lambda: iter(snapshot))
    monkeypatch.setattr(genai_catalog, "catalog_aliases", lambda: iter([]))
    monkeypatch.setattr("django.utils.timezone.now", lambda: SYNCED_AT)
    return snapshot


def validators(client, **headers):
    response = client.get(URL, {"provider": "acme"}, **headers)
    return response, response.get("ETag"), response.get("Last-Modified")


def test_an_in_place_price_change_by_the_sync_moves_etag_and_last_modified(client, settled_catalog):
    _, etag, last_modified = validators(client)
    assert last_modified == http_date(LONG_AGO.timestamp())
    settled_catalog[0].fields["input_per_mtok"] = Decimal("0.5")

    assert prices_sync().updated == 1

    response, new_etag, new_last_modified = validators(client, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["rows"][0]["input_per_mtok"] == 0.5
    assert new_etag != etag
    assert new_last_modified == http_date(SYNCED_AT.timestamp())
    assert validators(client, HTTP_IF_MODIFIED_SINCE=last_modified)[0].status_code == 200


def test_a_retirement_by_the_sync_moves_etag_and_last_modified(client, settled_catalog):
    _, etag, last_modified = validators(client)
    retired_at = datetime(2026, 1, 20, tzinfo=UTC)
    settled_catalog[0].effective_to = retired_at

    assert prices_sync().updated == 1

    response, new_etag, new_last_modified = validators(client, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["rows"] == []
    assert new_etag != etag
    assert new_last_modified == http_date(SYNCED_AT.timestamp())
    assert validators(client, HTTP_IF_MODIFIED_SINCE=last_modified)[0].status_code == 200


def test_a_version_ending_on_its_date_moves_last_modified_without_any_write(client):
    ModelPrice.objects.all().delete()
    ended = datetime(2026, 1, 15, tzinfo=UTC)
    ModelPrice.objects.create(
        provider="acme",
        model="gadget",
        input_per_mtok=Decimal("1"),
        output_per_mtok=Decimal("4"),
        effective_to=ended,
        source=PriceSource.ADMIN,
    )
    ModelPrice.objects.filter(provider="acme").update(updated_at=LONG_AGO)

    response, _, last_modified = validators(client)

    assert response.json()["rows"] == []
    assert last_modified == http_date(ended.timestamp())


def test_deleting_a_version_changes_the_etag(client):
    ModelPrice.objects.create(
        provider="acme", model="gadget", input_per_mtok=Decimal("1"), output_per_mtok=Decimal("4")
    )
    _, etag, _ = validators(client)

    ModelPrice.objects.filter(provider="openai").first().delete()

    response, new_etag, _ = validators(client, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert new_etag != etag
