import io
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tokentracker.services.exchange_rates import RatesFileInvalid, exchange_rates_load

ECB_HISTORY_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"
DOWNLOAD_TIMEOUT_SECONDS = 60


def _read(source: str) -> bytes:
    if source.startswith(("https://", "http://")):
        try:
            with urllib.request.urlopen(source, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
                return response.read()
        except OSError as exc:
            raise CommandError(f"could not download {source}: {exc}") from None
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise CommandError(f"could not read {source}: {exc.strerror or exc}") from None


def _csv_text(data: bytes, source: str) -> str:
    """The CSV's text, from the file itself or from the ECB's zip around it."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [name for name in archive.namelist() if name.lower().endswith(".csv")]
            if len(names) != 1:
                raise CommandError(f"{source}: expected one .csv file in the zip, found {names}")
            data = archive.read(names[0])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CommandError(f"{source}: not a text file") from None


class Command(BaseCommand):
    help = (
        "Load the ECB's euro reference rates (eurofxref-hist.csv, or the .zip around it) "
        "from a path or URL into the exchange-rate table; default: the ECB's own file. "
        "New days are added and changed rates updated, so running it again is safe; "
        "events that were waiting for a rate are then converted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "source", nargs="?", default=ECB_HISTORY_URL, help="A path or an http(s) URL"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["source"]
        text = _csv_text(_read(source), source)
        try:
            loaded = exchange_rates_load(text=text)
        except RatesFileInvalid as exc:
            raise CommandError(f"{source}: {exc}; nothing was loaded") from None
        if loaded.skipped_currencies:
            self.stderr.write(
                "Skipped columns that are not current ISO 4217 currencies: "
                + ", ".join(loaded.skipped_currencies)
            )
        self.stdout.write(
            f"{loaded.rates} rates over {loaded.days} days: "
            f"{loaded.created} new, {loaded.updated} changed"
        )
