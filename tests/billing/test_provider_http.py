"""The admin-API request layer (billing.sync.http) against the local provider server:
answers it cannot read, paging that never ends, redirects not followed."""

from datetime import UTC, datetime

import pytest

from billing.sync import anthropic_admin, openai_admin
from billing.sync.http import ProviderAnswerInvalid, ProviderUnavailable
from tests.provider_servers import ANTHROPIC_KEY, OPENAI_KEY, OPENAI_USAGE, Answer

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 11, 3, tzinfo=UTC)


def openai_usage():
    with openai_admin.api_open(OPENAI_KEY) as api:
        return openai_admin.usage_fetch(api, start=START, end=END)


def test_paging_that_never_ends_is_an_error(provider_server):
    looping = {"object": "page", "data": [], "has_more": True, "next_page": "page_again"}
    provider_server.fail_always(OPENAI_USAGE, Answer(status=200, body=looping))
    with pytest.raises(ProviderAnswerInvalid, match="paging did not end"):
        openai_usage()
    assert [r.one("page") for r in provider_server.requests] == [None, "page_again"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (Answer(status=200, raw=b"<html>maintenance</html>"), "not JSON"),
        (Answer(status=200, body={"object": "page"}), "without the documented `data` list"),
        (
            Answer(
                status=200,
                body={
                    "data": [{"start_time": "yesterday", "end_time": 1, "results": []}],
                    "has_more": False,
                },
            ),
            "usage bucket we cannot read",
        ),
        (
            Answer(
                status=200,
                body={
                    "data": [
                        {
                            "start_time": 1793491200,
                            "end_time": 1793577600,
                            "results": [{"input_tokens": -5}],
                        }
                    ],
                    "has_more": False,
                },
            ),
            "input_tokens is not a count",
        ),
        (Answer(status=302), r"refused the request \(HTTP 302\)"),
    ],
)
def test_an_answer_that_cannot_be_read_is_an_error(provider_server, answer, message):
    provider_server.script(OPENAI_USAGE, answer)
    with pytest.raises(ProviderAnswerInvalid, match=message):
        openai_usage()
    assert len(provider_server.requests) == 1  # not retried


def test_a_provider_that_cannot_be_reached_is_unavailable_after_the_attempts(settings):
    settings.PROVIDER_SYNC_ATTEMPTS = 3
    # The suite's default base URL: a closed local port.
    with pytest.raises(ProviderUnavailable, match=r"could not be reached \(ConnectError\), 3"):
        openai_usage()


def test_hourly_buckets_can_be_read_too(provider_server):
    provider_server.anthropic.usage(
        day="2026-11-01T05:20:00Z", model="claude-sonnet-4-20250514", output_tokens=3
    )
    with anthropic_admin.api_open(ANTHROPIC_KEY) as api:
        rows = anthropic_admin.usage_fetch(api, start=START, end=END, width="1h")
    assert [(row.start, row.width, row.output_tokens) for row in rows] == [
        (datetime(2026, 11, 1, 5, tzinfo=UTC), "1h", 3)
    ]
    assert provider_server.requests[0].one("limit") == "168"
