"""When a receipt was issued: dateparser finds the dates; the words before each say which
one is the receipt's (not when it is due, a billing period or a card's expiry)."""

import re
from datetime import date, timedelta

from dateparser.search import search_dates

from .lines import Found, label_repaired
from .money import Labelled

_DATE_LABEL = re.compile(r"\b(?:date|dated|issued|\w*datum|fecha|data|paid\s?on|le|am|du)\b")
# Dates that are not the receipt's: when it is due, a billing period, a card's expiry.
_NOT_DATE = re.compile(
    r"\b(?:due|period|from|until|through|to|expir\w*|exp|valid|since|birth|start|end|next|"
    r"renew\w*|by|before|f[äa]llig|[ée]ch[ée]ance|vencimiento|bis)\b"
)


_EARLIEST = date(2000, 1, 1)  # a receipt's date is after this and within a year of today


def date_find(rows: list[Labelled], currency: str | None) -> Found | None:
    # Month first only where the receipt's money says the US; ISO and unambiguous dates
    # (15/01) read the same either way.
    settings = {
        "DATE_ORDER": "MDY" if currency == "USD" else "DMY",
        "REQUIRE_PARTS": ["day", "month", "year"],
        "PREFER_DAY_OF_MONTH": "first",
        "STRICT_PARSING": True,
        "RETURN_AS_TIMEZONE_AWARE": False,
        # Dates as written only: "today" (in "You saved 2.00 today") is not the receipt's.
        "PARSERS": ["custom-formats", "absolute-time"],
    }
    best: tuple[int, int, date, float] | None = None
    latest = date.today() + timedelta(days=366)
    for index, row in enumerate(rows):
        if not re.search(r"\d", row.text):
            continue
        found = search_dates(row.text, languages=["en", "de", "fr", "es"], settings=settings)
        for matched, moment in found or ():
            day = moment.date()
            if not _EARLIEST <= day <= latest:
                continue
            start = row.text.find(matched)
            # The words just before the date say what it is ("Due date:", "Paid on").
            before = row.text[:start] if start >= 0 else row.label
            label = label_repaired(" ".join(before.split()[-3:]))
            if _NOT_DATE.search(label):
                tier = 1
            elif _DATE_LABEL.search(label):
                tier = 3
            else:
                tier = 2
            confidence = row.line.confidence_of(start, start + len(matched)) if start >= 0 else 1
            if best is None or tier > best[0]:
                best = (tier, index, day, confidence)
            break
    if best is None:
        return None
    tier, _index, day, confidence = best
    weight = {3: 0.95, 2: 0.85, 1: 0.5}[tier]
    return Found(day, round(weight * confidence, 3))
