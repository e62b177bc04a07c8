"""dataFreshness: fresh < 15 minutes since the latest event, stale 15-60, very_stale beyond."""

from datetime import timedelta

import pytest

from tokentracker.api.codingvibez.bodies import freshness_label

from .helpers import at, data

NOW = "2026-01-05T12:00:00Z"


@pytest.mark.parametrize(
    ("age", "label"),
    [
        (timedelta(minutes=-5), "fresh"),  # a client clock a little ahead
        (timedelta(0), "fresh"),
        (timedelta(minutes=14, seconds=59), "fresh"),
        (timedelta(minutes=15), "stale"),
        (timedelta(minutes=60), "stale"),
        (timedelta(minutes=60, seconds=1), "very_stale"),
        (timedelta(days=40), "very_stale"),
    ],
)
def test_the_label_at_each_threshold(age, label):
    assert freshness_label(at(NOW) - age, at(NOW)) == label


def test_no_event_is_no_data():
    assert freshness_label(None, at(NOW)) == "no_data"


READS = ["/api/tokens", "/api/tokens/timeseries", "/api/tokens/burn-rate", "/api/analytics"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", [*READS, "/api/tracking-health"])
@pytest.mark.parametrize(
    ("latest", "label"),
    [
        ("2026-01-05T11:45:01Z", "fresh"),
        ("2026-01-05T11:45:00Z", "stale"),
        ("2026-01-05T11:00:00Z", "stale"),
        ("2026-01-05T10:59:59Z", "very_stale"),
    ],
)
def test_every_read_labels_its_data_by_the_latest_event(
    api, org, raw_key, record, freeze, url, latest, label
):
    freeze(NOW)
    record(
        {"occurred_at": "2026-01-05T09:00:00Z", "input_tokens": 1},
        {"occurred_at": latest, "input_tokens": 1},
        organization=org,
    )
    body = data(api.get(url, raw_key))
    assert (body["dataFreshness"], body["lastUpdated"]) == (label, latest)
