"""Unknown paths under CodingVibez's prefixes answer in CodingVibez's envelope.

Django's 404 handler answers every unknown /api/ path in the nested shape the other
contracts share; a CodingVibez client parses `{success, error, code, requestId}` and would
choke on it. So every path under a prefix the seed gives CodingVibez (and no other
contract) that no route serves ends here, after every real route.

Authentication (and the key's permissions) first, 404 second: without a valid key an
unknown path answers 401 exactly as a real one does, so a probe cannot map which paths
exist. Each request is counted against the rate limit of its category like any other.
"""

import re
from typing import Any

from django.urls import re_path
from rest_framework.request import Request

from tokentracker.api.base import CodingVibezView
from tokentracker.api.errors import ApiError, Kind

# Seed 004's top-level names (DESIGN.md's surface table), each with everything below it;
# `sync` is a family (/api/sync, /api/sync-organization-usage, ...).
CODINGVIBEZ_PREFIXES = (
    "tokens",
    "costs",
    "dashboard",
    "analytics",
    "projections",
    "tracking-health",
    "status",
    "organizations",
    "team",
    "subscription-status",
    "checkout",
    "billing-history",
    "expenses",
    "receipts",
    "ingest",
)
UNKNOWN_PATH = rf"^(?:sync[^/]*|{'|'.join(map(re.escape, CODINGVIBEZ_PREFIXES))})(?:/.*)?$"


class UnknownPathView(CodingVibezView):
    schema = None  # not an endpoint: kept out of the OpenAPI document

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication, rate limit, permissions
        raise ApiError(Kind.NOT_FOUND, f"No endpoint at {request.path}.")


# Mounted under /api/ after every other route (tokentracker/urls.py), so that a real
# route, whichever package adds it, always wins.
urlpatterns = [re_path(UNKNOWN_PATH, UnknownPathView.as_view(), name="codingvibez-not-found")]
