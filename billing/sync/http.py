"""The one request layer for the providers' admin APIs: bounded timeouts, retries with
backoff, paging, and errors whose message is safe to show.

Written here rather than taken from a library: httpx2 retries only failed connections (not
a 429 or a 5xx, nor with the provider's Retry-After), and neither provider's SDK is a
dependency or covers both admin APIs' paging; what is needed is forty lines.

Retries: a 429, a 5xx, a timeout or a network error is tried again, up to
PROVIDER_SYNC_ATTEMPTS attempts in all, after the provider's `Retry-After` when it sends one,
else after PROVIDER_SYNC_BACKOFF_SECONDS * 2**(n-1) plus up to as much again of jitter (so
many organizations' hourly syncs do not retry in step). One `AdminApi` waits at most
PROVIDER_SYNC_MAX_WAIT_SECONDS in all: past that it gives up (ProviderUnavailable) rather
than hold a worker. A 401 or 403 is the key refused (ProviderKeyInvalid), never retried;
another 4xx is a request the provider will refuse again (ProviderAnswerInvalid).

The key goes in a header only: it is never part of a message, a log line or a URL, and is
scrubbed from anything a provider sends back before that is shown.
"""

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

import httpx2
from django.conf import settings

logger = logging.getLogger(__name__)

USER_AGENT = "TokenTracker-Sync/1.0"
# Far more pages than a bounded window has (31 days of daily buckets is two OpenAI pages):
# a provider whose paging never ends is an error, not an endless loop.
MAX_PAGES = 1000
MESSAGE_LENGTH = 300

Query = Sequence[tuple[str, str]]


class ProviderError(Exception):
    """A provider step failed. The message says what, for a person, and never holds the key."""


class ProviderKeyInvalid(ProviderError):
    """The provider refused the admin key (401/403): syncing again will not help until the
    key is replaced."""


class ProviderUnavailable(ProviderError):
    """The provider did not answer usefully (429, 5xx, timeouts) after the retries."""


class ProviderAnswerInvalid(ProviderError):
    """The provider refused the request as made (another 4xx), or answered in a form we
    cannot read."""


def sleep(seconds: float) -> None:
    """Wait between attempts. Tests replace this (the `provider_server` fixture) so they
    see how long the sync would wait without waiting."""
    time.sleep(seconds)


def _retry_after(response: httpx2.Response, now: datetime) -> float | None:
    """The provider's Retry-After in seconds (a number or an HTTP date), or None."""
    raw = response.headers.get("retry-after", "").strip()
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


class AdminApi:
    """GET requests to one provider's admin API with one key, for one sync."""

    def __init__(
        self,
        *,
        provider_name: str,
        base_url: str,
        headers: dict[str, str],
        secret: str,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.provider_name = provider_name
        self._secret = secret
        self._jitter = jitter
        self._attempts = settings.PROVIDER_SYNC_ATTEMPTS
        self._backoff = settings.PROVIDER_SYNC_BACKOFF_SECONDS
        self._max_wait = settings.PROVIDER_SYNC_MAX_WAIT_SECONDS
        self.waited = 0.0
        read = settings.PROVIDER_SYNC_READ_TIMEOUT_SECONDS
        self._client = httpx2.Client(
            base_url=base_url.rstrip("/"),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **headers},
            timeout=httpx2.Timeout(
                connect=settings.PROVIDER_SYNC_CONNECT_TIMEOUT_SECONDS,
                read=read,
                write=read,
                pool=read,
            ),
            # A redirect would carry the key's header to wherever it points.
            follow_redirects=False,
        )

    def __enter__(self) -> "AdminApi":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._client.close()

    def _scrub(self, text: str) -> str:
        if self._secret:
            text = text.replace(self._secret, "[admin key]")
        return text[:MESSAGE_LENGTH]

    def get(self, path: str, query: Query) -> dict[str, Any]:
        """The JSON object the provider answers, after retries; raises a ProviderError."""
        name = self.provider_name
        failure = ""
        for attempt in range(1, self._attempts + 1):
            retry_after = None
            try:
                response = self._client.get(path, params=list(query))
            except httpx2.TimeoutException:
                failure = f"{name} did not answer in time"
            except (httpx2.TransportError, OSError) as error:
                failure = f"{name} could not be reached ({type(error).__name__})"
            else:
                status = response.status_code
                if 200 <= status < 300:
                    return self._json(response)
                if status in (401, 403):
                    raise ProviderKeyInvalid(
                        f"{name} refused the admin key (HTTP {status}): it may have been "
                        "revoked, or is not an admin key of the organization. Add a new one."
                    )
                if status != 429 and status < 500:
                    raise ProviderAnswerInvalid(
                        f"{name} refused the request (HTTP {status}): {self._message_of(response)}"
                    )
                failure = (
                    f"{name} is rate limiting requests (HTTP 429)"
                    if status == 429
                    else f"{name} answered with a server error (HTTP {status})"
                )
                retry_after = _retry_after(response, datetime.now(UTC))
            if attempt == self._attempts:
                break
            wait = (
                retry_after
                if retry_after is not None
                else self._backoff * 2 ** (attempt - 1) * (1 + self._jitter())
            )
            if self.waited + wait > self._max_wait:
                raise ProviderUnavailable(
                    f"{failure}; gave up rather than wait {wait:.0f} s more. "
                    "The next sync tries again."
                )
            logger.warning(
                "%s %s: %s; attempt %s of %s in %.1f s",
                name,
                path,
                failure,
                attempt + 1,
                self._attempts,
                wait,
            )
            self.waited += wait
            sleep(wait)
        raise ProviderUnavailable(f"{failure}, {self._attempts} times. The next sync tries again.")

    def pages(self, path: str, query: Query) -> Iterator[dict[str, Any]]:
        """Each page of a paged list: both providers answer `has_more` and `next_page`,
        which the next request sends back as `page`."""
        token: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            page = self.get(path, [*query, ("page", token)] if token else query)
            yield page
            if not page.get("has_more"):
                return
            token = page.get("next_page")
            if not isinstance(token, str) or not token or token in seen:
                raise ProviderAnswerInvalid(
                    f"{self.provider_name}'s paging did not end (has_more without a new next_page)."
                )
            seen.add(token)
        raise ProviderAnswerInvalid(f"{self.provider_name} answered more than {MAX_PAGES} pages.")

    def _json(self, response: httpx2.Response) -> dict[str, Any]:
        try:
            # Amounts as Decimal: OpenAI's cost `value` is a JSON number, and a float
            # would not add up to the cent fraction.
            body = json.loads(response.content, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            raise ProviderAnswerInvalid(
                f"{self.provider_name} answered something that is not JSON."
            ) from None
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise ProviderAnswerInvalid(
                f"{self.provider_name} answered JSON without the documented `data` list."
            )
        return body

    def _message_of(self, response: httpx2.Response) -> str:
        """The provider's own error message (both put it in `error.message`), scrubbed."""
        try:
            body = json.loads(response.content)
            message = body["error"]["message"]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return "no explanation given"
        return self._scrub(str(message))
