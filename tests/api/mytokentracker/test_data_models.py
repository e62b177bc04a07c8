"""GET /api/v1/data/models: the current price catalog as MyTokenTracker's models dataset."""

from decimal import Decimal

import pytest

from tests.opendata.factories import moment, price
from tests.opendata.reference import (
    assert_rows_match_schema,
    assert_wrapper_matches,
    csv_rows,
    reference_csv_header,
)
from usage.models import ModelPrice

pytestmark = pytest.mark.django_db
URL = "/api/v1/data/models"


def test_the_whole_catalog_validates_field_by_field_against_the_reference(client):
    response = client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert_wrapper_matches("models", body)
    assert body["license"] == "CC BY 4.0"
    assert body["count"] > 2000
    assert_rows_match_schema("models", body["rows"])


def test_csv_has_the_reference_header_and_the_same_rows(client):
    as_json = client.get(URL, {"provider": "openai"}).json()["rows"]
    response = client.get(URL, {"provider": "openai", "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = csv_rows(response.content)
    assert rows[0] == reference_csv_header("models")
    assert len(rows) - 1 == len(as_json)
    assert [row[1] for row in rows[1:]] == [row["model"] for row in as_json]


def test_a_row_publishes_the_price_in_effect_now_with_0_for_what_is_unknown(client):
    price("widget", "3.00", "15.00", end=moment("2026-01-01"), provider="acmeai")
    current = price("widget", "0.0000375", "12.5", start=moment("2026-01-01"), provider="acmeai")
    ModelPrice.objects.filter(pk=current.pk).update(
        cache_read_per_mtok=Decimal("0.3"), context_window=200000
    )

    body = client.get(URL, {"provider": "acmeai"}).json()
    csv_body = client.get(URL, {"provider": "acmeai", "format": "csv"}).content.decode()

    assert body["rows"] == [
        {
            "provider": "acmeai",
            "model": "widget",
            "input_per_mtok": 0.0000375,
            "output_per_mtok": 12.5,
            "cache_read_per_mtok": 0.3,
            "cache_write_per_mtok": 0,  # not priced apart: 0, as the reference
            "reasoning_per_mtok": 0,
            "context_window": 200000,
            "max_output": 0,  # unknown
            "modality": "text",
            "effective_date": "2026-01-01",
            "source": "genai-prices",
            "is_active": True,
        }
    ]
    assert csv_body.splitlines()[1] == (
        "acmeai,widget,0.0000375,12.5,0.3,0,0,200000,0,text,2026-01-01,genai-prices,true"
    )


def test_whole_prices_are_json_integers(client):
    price("round", "3", "15", provider="acmeai")

    row = client.get(URL, {"provider": "acmeai"}).json()["rows"][0]

    assert row["input_per_mtok"] == 3 and isinstance(row["input_per_mtok"], int)


def test_filters_by_provider_spelling_activity_and_limit(client):
    price("old", "1", "2", provider="acmeai")
    price("new", "1", "2", provider="acmeai")
    ModelPrice.objects.filter(model="old").update(is_active=False)

    assert [r["model"] for r in client.get(URL, {"provider": "AcmeAI"}).json()["rows"]] == [
        "new",
        "old",
    ]
    inactive = client.get(URL, {"provider": "acmeai", "active": "false"}).json()
    assert [r["model"] for r in inactive["rows"]] == ["old"]
    active = client.get(URL, {"provider": "acmeai", "active": "true"}).json()
    assert [r["model"] for r in active["rows"]] == ["new"]
    limited = client.get(URL, {"limit": "5"}).json()
    assert limited["count"] == 5 and len(limited["rows"]) == 5


def test_unpriced_and_future_versions_are_not_published(client):
    price("tomorrow", "1", "2", start=moment("2099-01-01"), provider="acmeai")
    price("unpriced", "1", "2", provider="acmeai")
    ModelPrice.objects.filter(model="unpriced").update(input_per_mtok=None)

    assert client.get(URL, {"provider": "acmeai"}).json()["rows"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "-1"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"active": "maybe"}, "active"),
        ({"format": "xml"}, "format"),
        ({"provider": "open\x00ai"}, "provider"),
        ({"provider": "x" * 65}, "provider"),
    ],
)
def test_a_bad_parameter_is_a_422_in_the_mytokentracker_envelope(client, params, field):
    response = client.get(URL, params)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert error["message"].startswith(field)
    assert field in error["details"]


def test_a_limit_beyond_any_dataset_means_every_row(client):
    every = client.get(URL, {"format": "csv"}).content

    assert client.get(URL, {"format": "csv", "limit": "9" * 30}).content == every


def test_no_key_is_needed_and_a_bad_one_is_ignored(client):
    response = client.get(URL, {"limit": "1"}, HTTP_AUTHORIZATION="Bearer mtt_not_a_key")

    assert response.status_code == 200


def test_the_catalog_is_read_in_two_queries_whatever_its_size(client, django_assert_num_queries):
    with django_assert_num_queries(2):
        response = client.get(URL, {"format": "csv"})
    assert response.status_code == 200


def test_prices_not_set_apart_are_0_as_in_the_reference_rows(client):
    rows = {row["model"]: row for row in client.get(URL, {"provider": "openai"}).json()["rows"]}
    fields = ("cache_read_per_mtok", "cache_write_per_mtok", "reasoning_per_mtok")

    # The reference publishes the same: gpt-4o caches reads only, gpt-4 has no cache price.
    assert [rows["gpt-4o"][name] for name in fields] == [1.25, 0, 0]
    assert [rows["gpt-4"][name] for name in fields] == [0, 0, 0]
