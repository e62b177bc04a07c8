"""The carbon factors, grid intensities and methodology version, held in memory per process
(`tokentracker.reference_data.VersionedBook`): estimating a batch of events costs no query."""

from tokentracker.reference_data import VersionedBook

from .factors import CarbonBook, Factor, Zone
from .models import CarbonFactor, GridIntensity, MethodologyVersion

VERSION_CACHE_KEY = "carbon-book:version"


def _current_version() -> str:
    return (
        MethodologyVersion.objects.order_by("-id").values_list("version", flat=True).first() or ""
    )


def _load() -> CarbonBook:
    # Factors and zones are read in separate queries: an admin edit committing between them
    # would stamp new numbers with the old version (or old ones with the new). A version
    # that did not move while we read means what we read belongs to it.
    for _ in range(3):
        before = _current_version()
        book = _read(before)
        if _current_version() == before:
            return book
    return book


def _read(version: str) -> CarbonBook:
    factors = {
        (row.provider.lower(), row.model.lower()): Factor(
            provider=row.provider.lower(),
            model=row.model.lower(),
            energy_wh_per_1k=_float(row.energy_wh_per_1k_output_tokens),
            co2e_g_per_1k=_float(row.co2e_g_per_1k_output_tokens),
            active_parameters_b=_float(row.active_parameters_b),
            total_parameters_b=_float(row.total_parameters_b),
            confidence=row.confidence,
            source=row.source,
        )
        for row in CarbonFactor.objects.all()
    }
    zones: dict[str, Zone] = {}
    alpha2: dict[str, str] = {}
    for row in GridIntensity.objects.all():
        zones[row.zone] = Zone(row.zone, row.name, float(row.gco2e_per_kwh))
        if row.country_code:
            alpha2[row.country_code.upper()] = row.zone
    return CarbonBook(
        methodology_version=version,
        factors=factors,
        zones=zones,
        alpha2=alpha2,
    )


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


_book = VersionedBook(VERSION_CACHE_KEY, _load)


def carbon_book_get() -> CarbonBook:
    return _book.get()


def carbon_book_invalidate() -> None:
    _book.invalidate()
