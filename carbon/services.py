"""Writes of the carbon app: seeding reference data from EcoLogits, admin edits that bump
the methodology version, and the carbon-llm track door's accept-then-persist path."""

import logging
import statistics
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from ecologits.electricity_mix_repository import electricity_mixes
from ecologits.model_repository import models as ecologits_models

from .carbon_book import carbon_book_invalidate
from .countries import country_of_zone
from .factors import (
    ECOLOGITS_PROVIDER,
    ECOLOGITS_SOURCE,
    ECOLOGITS_VERSION,
    WORLD,
)
from .models import CarbonFactor, Confidence, GridIntensity, MethodologyVersion
from .profiles import parameter_bounds

logger = logging.getLogger(__name__)

GRID_SOURCE = f"ADEME Base IMPACTS®, as shipped in {ECOLOGITS_SOURCE}"


# --- Methodology versions ---------------------------------------------------------------


def methodology_bump(*, reason: str) -> MethodologyVersion:
    """Record a new methodology version (YYYY.MM.N, N counting within the month)."""
    prefix = timezone.now().strftime("%Y.%m.")
    for attempt in range(3):
        try:
            with transaction.atomic():
                taken = MethodologyVersion.objects.select_for_update().filter(
                    version__startswith=prefix
                )
                number = 1 + max(
                    (int(v.rsplit(".", 1)[1]) for v in taken.values_list("version", flat=True)),
                    default=0,
                )
                version = MethodologyVersion.objects.create(
                    version=f"{prefix}{number}",
                    ecologits_version=ECOLOGITS_VERSION,
                    reason=reason[:300],
                )
            break
        except IntegrityError:
            # Two edits took the same number (the month's first version locks no row):
            # the other one committed, so counting again gives the next number.
            if attempt == 2:
                raise
    carbon_book_invalidate()
    transaction.on_commit(carbon_book_invalidate)
    return version


# --- Seeding from EcoLogits ---------------------------------------------------------------


def _country(zone: str) -> tuple[str, str]:
    return ("", "World") if zone == WORLD else country_of_zone(zone)


def grid_intensities_seed() -> int:
    """Load EcoLogits' electricity mixes for the zones not in the table yet."""
    known = set(GridIntensity.objects.values_list("zone", flat=True))
    rows = []
    for mix in electricity_mixes.list_electricity_mixes():
        if mix.zone in known:
            continue
        alpha2, name = _country(mix.zone)
        rows.append(
            GridIntensity(
                zone=mix.zone,
                country_code=alpha2,
                name=name,
                # EcoLogits gives kgCO2e/kWh; we store grams.
                gco2e_per_kwh=Decimal(str(mix.gwp)) * 1000,
                source=GRID_SOURCE,
            )
        )
    GridIntensity.objects.bulk_create(rows)
    return len(rows)


def _parameters(model: Any) -> tuple[float, float]:
    """Mean active and total parameter counts, as EcoLogits' point estimate takes them."""
    active, total = parameter_bounds(model)
    return sum(active) / 2, sum(total) / 2


def default_factors_seed() -> int:
    """Provider defaults for models EcoLogits does not know: the median parameter counts of
    the models it lists for that provider (and of all its models, for any other provider)."""
    by_provider: dict[str, list[tuple[float, float]]] = {}
    for model in ecologits_models.list_models():
        by_provider.setdefault(model.provider.value, []).append(_parameters(model))
    everything = [p for rows in by_provider.values() for p in rows]
    wanted = {"": ("", everything)}
    for ours, theirs in ECOLOGITS_PROVIDER.items():
        if theirs in by_provider:
            wanted[ours] = (theirs, by_provider[theirs])
    existing = set(CarbonFactor.objects.filter(model="").values_list("provider", flat=True))
    rows = []
    for provider, (label, parameters) in wanted.items():
        if provider in existing:
            continue
        rows.append(
            CarbonFactor(
                provider=provider,
                model="",
                active_parameters_b=Decimal(f"{statistics.median(p[0] for p in parameters):.3f}"),
                total_parameters_b=Decimal(f"{statistics.median(p[1] for p in parameters):.3f}"),
                confidence=Confidence.ESTIMATED,
                source=(
                    f"Median parameter counts of the {len(parameters)} "
                    f"{label + ' ' if label else ''}models listed by {ECOLOGITS_SOURCE}"
                ),
                is_seeded=True,
            )
        )
    CarbonFactor.objects.bulk_create(rows)
    return len(rows)


def carbon_seed() -> None:
    """Fill empty reference tables; record a methodology version when EcoLogits changed."""
    with transaction.atomic():
        grids = grid_intensities_seed()
        defaults = default_factors_seed()
        current = MethodologyVersion.objects.order_by("-id").first()
        if current is None:
            methodology_bump(reason=f"Initial methodology on {ECOLOGITS_SOURCE}")
        elif current.ecologits_version != ECOLOGITS_VERSION:
            methodology_bump(reason=f"EcoLogits {current.ecologits_version} → {ECOLOGITS_VERSION}")
        elif grids or defaults:
            methodology_bump(reason=f"Seeded {grids} grid zones and {defaults} default factors")
    carbon_book_invalidate()


# --- Admin edits --------------------------------------------------------------------------


def carbon_factor_save(*, factor: CarbonFactor, edited_by: Any = None) -> CarbonFactor:
    """Save an admin's factor; estimates use it from the new methodology version on."""
    with transaction.atomic():
        version = methodology_bump(reason=f"Carbon factor {factor} edited")
        factor.methodology_version = version.version
        factor.edited_by = edited_by
        factor.is_seeded = False
        factor.save()
    return factor


def carbon_factor_delete(*, factor: CarbonFactor) -> None:
    with transaction.atomic():
        label = str(factor)
        factor.delete()
        methodology_bump(reason=f"Carbon factor {label} removed")


def grid_intensity_save(*, grid: GridIntensity, edited_by: Any = None) -> GridIntensity:
    with transaction.atomic():
        grid.edited_by = edited_by
        grid.save()
        methodology_bump(reason=f"Grid intensity of {grid.zone} set to {grid.gco2e_per_kwh}")
    return grid
