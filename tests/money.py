"""Exchange rates for tests: the fixture file in the ECB's own format, loaded as the
`exchangerates_load` command loads it, with what runs at commit (converting the events
waiting for a rate) run as it would after a real commit."""

import io
from contextlib import AbstractContextManager
from pathlib import Path

from django.core.management import call_command
from django.test import TestCase

ECB_FIXTURE = Path(__file__).parent / "tokentracker" / "fixtures" / "eurofxref-hist.csv"


def committed() -> AbstractContextManager:
    """Run the on-commit callbacks of the block when it ends, as a commit would."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def rates_load(path: Path = ECB_FIXTURE) -> str:
    out = io.StringIO()
    with committed():
        call_command("exchangerates_load", str(path), stdout=out, stderr=io.StringIO())
    return out.getvalue()
