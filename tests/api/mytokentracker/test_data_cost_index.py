"""GET /api/v1/data/cost-index: the materialised series, as MyTokenTracker publishes it."""

from datetime import date

import pytest

from opendata.models import CostIndexBasket, CostIndexPoint
from opendata.services import cost_index_refresh
from tests.opendata.factories import acme_history, basket
from tests.opendata.reference import (
    assert_rows_match_schema,
    assert_wrapper_matches,
    csv_rows,
    reference_csv_header,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/data/cost-index"


@pytest.fixture
def hand_made():
    CostIndexBasket.objects.all().delete()
    acme_history()
    basket("frontier", "v1", "2026-03-01", ["alpha", "gamma"])
    basket("budget", "v1", "2026-03-01", ["beta"])
    cost_index_refresh(today=date(2026, 3, 4))


def test_the_series_validates_against_the_reference_and_equals_the_hand_sums(client, hand_made):
    response = client.get(URL, {"from": "2026-03-01", "to": "2026-03-03"})

    assert response.status_code == 200
    body = response.json()
    assert_wrapper_matches("cost-index", body)
    assert (body["basket_version"], body["blend_ratio"]) == ("v1", "3:1")
    assert_rows_match_schema("cost-index", body["rows"])
    # frontier: alpha 2/8 then 1/4 from 03-02; gamma 5/15 from noon on 03-03.
    assert body["rows"] == [
        {
            "index_key": "budget",
            "date": "2026-03-01",
            "blended_per_mtok": 0.525,
            "input_per_mtok": 0.3,
            "output_per_mtok": 1.2,
            "constituents": 1,
        },
        {
            "index_key": "frontier",
            "date": "2026-03-01",
            "blended_per_mtok": 3.5,
            "input_per_mtok": 2,
            "output_per_mtok": 8,
            "constituents": 1,
        },
        {
            "index_key": "budget",
            "date": "2026-03-02",
            "blended_per_mtok": 0.525,
            "input_per_mtok": 0.3,
            "output_per_mtok": 1.2,
            "constituents": 1,
        },
        {
            "index_key": "frontier",
            "date": "2026-03-02",
            "blended_per_mtok": 1.75,
            "input_per_mtok": 1,
            "output_per_mtok": 4,
            "constituents": 1,
        },
        {
            "index_key": "budget",
            "date": "2026-03-03",
            "blended_per_mtok": 0.525,
            "input_per_mtok": 0.3,
            "output_per_mtok": 1.2,
            "constituents": 1,
        },
        {
            "index_key": "frontier",
            "date": "2026-03-03",
            "blended_per_mtok": 4.625,  # (1.75 + 7.5) / 2
            "input_per_mtok": 3,
            "output_per_mtok": 9.5,
            "constituents": 2,
        },
    ]


def test_csv_has_the_reference_header_and_exact_decimals(client, hand_made):
    response = client.get(URL, {"index": "frontier", "format": "csv"})

    rows = csv_rows(response.content)
    assert rows[0] == reference_csv_header("cost-index")
    assert rows[1:] == [
        ["frontier", "2026-03-01", "3.5", "2", "8", "1"],
        ["frontier", "2026-03-02", "1.75", "1", "4", "1"],
        ["frontier", "2026-03-03", "4.625", "3", "9.5", "2"],
        ["frontier", "2026-03-04", "4.625", "3", "9.5", "2"],
    ]


def test_index_and_limit_narrow_the_series(client, hand_made):
    budget = client.get(URL, {"index": "budget", "limit": "2"}).json()
    every = client.get(URL, {"index": "all"}).json()

    assert [(r["index_key"], r["date"]) for r in budget["rows"]] == [
        ("budget", "2026-03-01"),
        ("budget", "2026-03-02"),
    ]
    assert every["count"] == 8


def test_the_wrapper_names_the_basket_versions_served(client, hand_made):
    basket("frontier", "v2", "2026-03-04", ["beta"])
    cost_index_refresh(today=date(2026, 3, 4))

    assert client.get(URL, {"index": "frontier"}).json()["basket_version"] == "v1,v2"
    assert client.get(URL, {"to": "2026-03-03"}).json()["basket_version"] == "v1"
    empty = client.get(URL, {"index": "frontier", "from": "2027-01-01"}).json()
    assert (empty["count"], empty["basket_version"]) == (0, "v2")


def test_the_endpoint_reads_only_the_materialised_series(client, hand_made):
    CostIndexPoint.objects.filter(index_key="budget").delete()

    assert client.get(URL, {"index": "budget"}).json()["rows"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"index": "premium"}, "index"),
        ({"from": "2026-02-30"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-03-01T00:00:00Z"}, "from"),
        ({"from": "1999-12-31"}, "from"),
        ({"limit": "-5"}, "limit"),
        ({"format": "parquet"}, "format"),
    ],
)
def test_a_bad_parameter_is_a_422_with_a_clear_message(client, hand_made, params, field):
    response = client.get(URL, params)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert error["message"].startswith(field)
    assert error["details"] == {field: next(iter(params.values()))}


def test_a_window_that_ends_before_it_starts_is_refused(client, hand_made):
    response = client.get(URL, {"from": "2026-03-04", "to": "2026-03-01"})

    assert response.status_code == 422
    assert response.json()["error"]["message"] == "from must be on or before to."


def test_the_series_is_read_in_three_queries(client, hand_made, django_assert_num_queries):
    with django_assert_num_queries(3):  # basket keys, freshness, rows
        response = client.get(URL)
    assert response.json()["count"] == 8
