"""ISO 3166-1 codes: our APIs take alpha-2 (`FI`), EcoLogits' electricity mixes use alpha-3."""

from functools import lru_cache

import pycountry


@lru_cache(maxsize=512)
def country_known(alpha2: str) -> bool:
    return len(alpha2) == 2 and pycountry.countries.get(alpha_2=alpha2.upper()) is not None


def country_of_zone(zone: str) -> tuple[str, str]:
    """(alpha-2, common name) of an alpha-3 zone; ("", zone) for a zone that is no country."""
    country = pycountry.countries.get(alpha_3=zone)
    if country is None:
        return "", zone
    return country.alpha_2, getattr(country, "common_name", None) or country.name
