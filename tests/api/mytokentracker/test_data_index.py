"""GET /api/v1/data and /api/v1/data/schema: discovery and the field dictionary."""

from datetime import date

import pytest

from opendata.models import DatasetRefresh
from opendata.services import cost_index_refresh
from tests.opendata.reference import reference_schema

pytestmark = pytest.mark.django_db


def test_the_index_lists_every_dataset_with_its_endpoint_rows_and_freshness(client):
    rows = cost_index_refresh(today=date(2026, 3, 4))
    refreshed = DatasetRefresh.objects.get(dataset="cost-index").refreshed_at

    response = client.get("/api/v1/data")

    assert response.status_code == 200
    body = response.json()
    assert (body["license"], body["schema"]) == ("CC BY 4.0", "/api/v1/data/schema")
    assert list(body["datasets"]) == ["cost-index", "community", "models"]
    cost_index = body["datasets"]["cost-index"]
    assert cost_index["endpoint"] == "/api/v1/data/cost-index"
    assert cost_index["formats"] == ["json", "csv"]
    assert cost_index["count"] == rows
    assert cost_index["refreshed_at"] == refreshed.replace(microsecond=0).isoformat()
    models = client.get("/api/v1/data/models").json()
    assert body["datasets"]["models"]["count"] == models["count"]
    assert body["datasets"]["models"]["refreshed_at"] == models["generated_at"]


def test_a_dataset_never_refreshed_shows_no_freshness(client):
    DatasetRefresh.objects.filter(dataset="community").delete()

    community = client.get("/api/v1/data").json()["datasets"]["community"]

    assert (community["count"], community["refreshed_at"]) == (0, None)


def test_the_schema_has_the_reference_shape_names_types_and_units(client):
    response = client.get("/api/v1/data/schema")

    assert response.status_code == 200
    body = response.json()
    reference = reference_schema()
    assert list(body) == list(reference)
    assert list(body["datasets"]) == list(reference["datasets"])
    for key, dataset in reference["datasets"].items():
        ours = body["datasets"][key]
        assert ours["endpoint"] == dataset["endpoint"]
        assert [(f["name"], f["type"], f.get("unit")) for f in ours["fields"]] == [
            (f["name"], f["type"], f.get("unit")) for f in dataset["fields"]
        ]


def test_license_and_attribution_come_from_the_settings(client, settings):
    settings.OPENDATA_LICENSE = "CC BY-SA 4.0"
    settings.OPENDATA_ATTRIBUTION = "Acme Corp, https://acme.example"

    for path in ("/api/v1/data", "/api/v1/data/schema", "/api/v1/data/models?limit=1"):
        body = client.get(path).json()
        assert (body["license"], body["attribution"]) == (
            "CC BY-SA 4.0",
            "Acme Corp, https://acme.example",
        )


def test_the_index_is_read_in_two_queries(client, django_assert_num_queries):
    with django_assert_num_queries(2):  # refresh records, catalog freshness
        client.get("/api/v1/data")
