"""The price catalog held in memory, so pricing a batch costs no query per event.

Each process keeps one `PriceBook` built from the `ModelPrice` and `ModelAlias` tables,
reloaded when the catalog's version stamp changes (`tokentracker.reference_data.VersionedBook`).
"""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime

from tokentracker.reference_data import VersionedBook

from . import genai_catalog
from .models import ModelAlias, ModelPrice
from .pricing import Rates

VERSION_CACHE_KEY = "price-book:version"


@dataclass(frozen=True, slots=True)
class PriceVersion:
    id: int
    provider: str
    model: str
    effective_from: datetime | None
    effective_to: datetime | None
    rates: Rates


CatalogKey = tuple[str, str]


class PriceBook:
    def __init__(
        self, versions: dict[CatalogKey, list[PriceVersion]], aliases: dict[CatalogKey, str]
    ) -> None:
        self._versions = versions
        self._starts = {
            key: [_sort_key(v.effective_from) for v in rows] for key, rows in versions.items()
        }
        self._aliases = aliases
        self._providers: dict[str, str] = {}
        self._resolved: dict[CatalogKey, CatalogKey | None] = {}
        self._by_id: dict[int, PriceVersion] | None = None

    def provider(self, reported: str) -> str:
        canonical = self._providers.get(reported)
        if canonical is None:
            canonical = genai_catalog.provider_canonical(reported)
            self._providers[reported] = canonical
        return canonical

    def resolve(self, provider: str, model: str) -> CatalogKey | None:
        """The catalog model a reported (canonical provider, model) pair stands for."""
        key = (provider, model)
        if key in self._resolved:
            return self._resolved[key]
        found = self._resolve(provider, model)
        self._resolved[key] = found
        return found

    def _resolve(self, provider: str, model: str) -> CatalogKey | None:
        for candidate in (model, model.lower()):
            if (provider, candidate) in self._versions:
                return provider, candidate
        alias = self._aliases.get((provider, model.lower()))
        if alias and (provider, alias) in self._versions:
            return provider, alias
        matched = genai_catalog.model_match(provider, model)
        if matched and matched in self._versions:
            return matched
        return None

    def version(self, version_id: int) -> PriceVersion | None:
        """The catalog row with this id (an event's `model_price_id`)."""
        if self._by_id is None:
            self._by_id = {v.id: v for rows in self._versions.values() for v in rows}
        return self._by_id.get(version_id)

    def price_at(self, key: CatalogKey, moment: datetime) -> PriceVersion | None:
        rows = self._versions.get(key)
        if not rows:
            return None
        index = bisect_right(self._starts[key], _sort_key(moment)) - 1
        if index < 0:
            return None
        version = rows[index]
        if version.effective_to is not None and moment >= version.effective_to:
            return None
        return version


def _sort_key(moment: datetime | None) -> float:
    return float("-inf") if moment is None else moment.timestamp()


def _load() -> PriceBook:
    versions: dict[CatalogKey, list[PriceVersion]] = {}
    for row in ModelPrice.objects.order_by("provider", "model", "effective_from").values():
        key = (row["provider"], row["model"])
        versions.setdefault(key, []).append(
            PriceVersion(
                id=row["id"],
                provider=row["provider"],
                model=row["model"],
                effective_from=row["effective_from"],
                effective_to=row["effective_to"],
                rates=Rates(
                    input=row["input_per_mtok"],
                    output=row["output_per_mtok"],
                    cache_read=row["cache_read_per_mtok"],
                    cache_write=row["cache_write_per_mtok"],
                    reasoning=row["reasoning_per_mtok"],
                    long_context_threshold=row["long_context_threshold"],
                    long_context_input=row["long_context_input_per_mtok"],
                    long_context_output=row["long_context_output_per_mtok"],
                    long_context_cache_read=row["long_context_cache_read_per_mtok"],
                    long_context_cache_write=row["long_context_cache_write_per_mtok"],
                ),
            )
        )
    for rows in versions.values():
        # NULL (since the beginning) sorts first whatever the database does with NULLs.
        rows.sort(key=lambda version: _sort_key(version.effective_from))
    aliases = {
        (provider, alias.lower()): model
        for provider, alias, model in ModelAlias.objects.values_list("provider", "alias", "model")
    }
    return PriceBook(versions, aliases)


_book = VersionedBook(VERSION_CACHE_KEY, _load)


def price_book_get() -> PriceBook:
    return _book.get()


def price_book_invalidate() -> None:
    """Make every process reload the catalog on its next use."""
    _book.invalidate()
