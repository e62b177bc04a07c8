"""Amounts on a receipt: where they are (each line's amount and label), which is the total,
the tax, and in which currency. price-parser reads each amount and its sign."""

import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

import pycountry
from price_parser import Price

from .lines import Found, Line, digits_repaired, label_repaired

# --- amounts ----------------------------------------------------------------------------
# Where an amount may be on a line (a number with its currency sign or code beside it);
# price-parser then reads it. Digits grouped by 3 after a separator, up to 2 decimals; a
# number followed by % is a rate, not an amount.
# ISO 4217 codes from pycountry, but for those that are also English words a receipt may
# print before a price ("CUP 2.50", "PEN 1.20", "ALL ITEMS").
_CODES = "|".join(
    sorted(
        {currency.alpha_3 for currency in pycountry.currencies}
        - {"ALL", "TOP", "CUP", "PEN", "MOP", "BOB", "SOS", "GEL", "CHE", "XXX", "XTS"}
    )
)
_SIGN = rf"(?:[A-Z]{{1,3}}[$€£¥₹]|[$€£¥₹]|(?:{_CODES})\b|Fr\.|kr)"
_NUMBER = (
    r"\d{1,3}(?:(?:[,.'\u202f\u00a0]| (?=\d{3}[.,]\d))\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
)
_AMOUNT = re.compile(
    rf"(?<![\w.,/:-])(?:{_SIGN}\s?)?[-\u2212]?\s?(?:{_NUMBER})(?:\s?(?:[$€£¥₹]|(?:{_CODES})\b|円))?"
    r"(?![\w%/:]|[.,-]\d)"
)


@dataclass(frozen=True)
class Amount:
    value: Decimal
    sign: str | None  # as written: "$", "CA$", "EUR", "€"...
    start: int
    end: int
    has_decimals: bool

    @property
    def is_money(self) -> bool:
        return self.has_decimals or self.sign is not None


def _amounts(text: str, separator: str | None) -> list[Amount]:
    found = []
    for match in _AMOUNT.finditer(text):
        number = re.search(r"\d[\d.,'\s\u202f\u00a0]*", match.group(0)).group(0).rstrip()
        # One or two digits after the last separator are cents whatever the receipt's
        # habit ("106,26" misread on a receipt of points); the habit only settles "1,234".
        cents = re.search(r"[.,]\d{1,2}$", number)
        hint = None if cents else separator
        price = Price.fromstring(match.group(0), decimal_separator=hint)
        if price.amount is None:
            continue
        found.append(
            Amount(
                value=price.amount,
                sign=price.currency,
                start=match.start(),
                end=match.end(),
                has_decimals=bool(cents),
            )
        )
    return found


def decimal_separator(lines: list[str]) -> str | None:
    """ "," when the receipt writes cents after a comma (1.234,56), "." when after a point,
    None when it has no cents (yen): then price-parser decides each number alone."""
    comma = sum(len(re.findall(r"\d,\d{2}(?!\d)", line)) for line in lines)
    point = sum(len(re.findall(r"\d\.\d{2}(?!\d)", line)) for line in lines)
    if not comma and not point:
        return None
    return "," if comma > point else "."


# --- keywords ---------------------------------------------------------------------------
# The labels of a receipt's lines (English first, then the common European ones); a
# regex fits a closed list of words, and no library knows what a receipt calls its total.
_TOTAL_STRONG = re.compile(
    r"grand\s?total|amount\s?(?:due|paid|payable|charged)|total\s?(?:due|paid|payable|amount"
    r"|charged|to\s?pay)|balance\s?(?:due|paid)?|invoice\s?total|total\s?(?:\(|incl|inc\b)"
    r"|gesamt|summe|total\s?ttc|net\s?[àa]\s?payer|montant|importe|totale|te\s?betalen"
)
_TOTAL = re.compile(r"\btotal\b|\btotaal\b|\bsum\b|\bbetrag\b")
_NOT_TOTAL = re.compile(
    r"sub\s?-?\s?total|zwischen|sous|subtotaal|\bnet\b(?!\s?[àa]\s?payer)|netto|excl|"
    r"ex\.?\s?(?:vat|tax)|before|pre-?tax|items?\b|qty|quantity|savings|saved|discount|"
    r"tip\b|tips\b|change\b|"
    r"(?:total|gesamt)\s?(?:tax|vat|gst|hst|mwst|tva|iva|ust)|(?:tax|vat)\s?total|"
    r"tendered|cash\b|points|previous|credit"
)
_TAX = re.compile(
    r"\b(?:tax|taxes|vat|gst|hst|pst|qst|mwst|ust|tva|iva|btw|moms|mehrwertsteuer|"
    r"umsatzsteuer|sales\s?tax|consumption\s?tax)\b"
)
_NOT_TAX = re.compile(
    r"(?:tax|vat|gst|ust|tva|iva|btw)[\s.-]*(?:id|no\b|nr|number|reg|registration|#|code)|"
    r"steuer-?nr|steuernummer|tax\s?invoice|excl|before|pre-?tax|\bex\.?\s|without|"
    r"exempt|tax\s?rate|taxable|siret|abn\b"
)
_TAX_TOTAL = re.compile(r"(?:total|gesamt)\s?(?:tax|vat|gst|hst|mwst|tva|iva|ust)|tax\s?total")


# --- currency ---------------------------------------------------------------------------
_SIGN_CURRENCY = {
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "円": "JPY",
    "₹": "INR",
    "Fr.": "CHF",
    "SFr.": "CHF",
    "US$": "USD",
    "U$": "USD",
    "CA$": "CAD",
    "C$": "CAD",
    "A$": "AUD",
    "AU$": "AUD",
    "NZ$": "NZD",
    "HK$": "HKD",
    "S$": "SGD",
    "SG$": "SGD",
    "MX$": "MXN",
    "R$": "BRL",
}
# Dollars with no country beside them: which dollar the rest of the receipt hints at.
_DOLLAR_HINTS = (
    (re.compile(r"\b(?:hst|qst|pst|canada|ontario|quebec|québec|british columbia)\b"), "CAD"),
    (re.compile(r"\b[ABCEGHJ-NPRSTVXY]\d[A-Z] ?\d[A-Z]\d\b"), "CAD"),  # postcode, case kept
    # A province before a postcode whose digits OCR took for letters ("BC V6B 1Al").
    (re.compile(r"\b(?:AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT),? [A-Z][0-9OIl][A-Z]\b"), "CAD"),
    (re.compile(r"\b(?:abn|australia)\b"), "AUD"),
    (re.compile(r"\b(?:NSW|VIC|QLD|WA|SA|TAS|ACT|NT) \d{4}\b"), "AUD"),  # state, postcode
    (re.compile(r"\b(?:new zealand|nzbn)\b"), "NZD"),
    (re.compile(r"\bsingapore\b"), "SGD"),
)
_DOLLAR_CODES = {"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN"}


def _iso_code(sign: str | None) -> str | None:
    if not sign:
        return None
    if sign in _SIGN_CURRENCY:
        return _SIGN_CURRENCY[sign]
    code = sign.strip().upper()
    if len(code) == 3 and code.isalpha() and pycountry.currencies.get(alpha_3=code):
        return code
    return None


# --- lines and their amounts ----------------------------------------------------------
@dataclass(frozen=True)
class Labelled:
    line: Line
    text: str  # repaired
    label: str  # the words before the amount, repaired, lower case
    amount: Amount | None
    values: tuple[Decimal, ...] = ()  # every amount on the line


def labelled(lines: list[Line], separator: str | None) -> list[Labelled]:
    rows = []
    for line in lines:
        text = digits_repaired(line.text)
        amounts = [a for a in _amounts(text, separator) if not _is_date_part(text, a)]
        # The line's amount is its last one written as money ("$890.93 due Sep 16" is
        # 890.93, not 16), or its last number.
        money = [a for a in amounts if a.is_money]
        amount = (money or amounts or [None])[-1]
        label = label_repaired(text[: amount.start] if amount else text)
        rows.append(Labelled(line, text, label, amount, tuple(a.value for a in amounts)))
    # A label whose amount was set on the next line ("Total" above "$12.00").
    for index, row in enumerate(rows[:-1]):
        following = rows[index + 1]
        if (
            row.amount is None
            and following.amount is not None
            and not re.search(r"[a-z]{3}", following.label)
        ):
            rows[index] = Labelled(
                row.line, row.text, row.label, following.amount, following.values
            )
            rows[index + 1] = Labelled(following.line, following.text, following.label, None)
    return rows


_MONTH = (
    r"(?:jan|feb|m[äa]r|apr|ma[iy]|jun|jul|aug|sep|o[ck]t|nov|de[cz]|janv|f[ée]v|avr|juil|"
    r"ao[uû]|d[ée]c)[a-zéû]*\.?"
)
_AFTER_MONTH = re.compile(rf"\b{_MONTH}\s+(?:\d{{1,2}},?\s+)?$", re.IGNORECASE)
_BEFORE_MONTH = re.compile(rf"\s+{_MONTH}(?!\w)", re.IGNORECASE)


def _is_date_part(text: str, amount: Amount) -> bool:
    around = text[max(0, amount.start - 1) : amount.end + 1]
    if re.search(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}[./-]\d{1,2}[./-]\d|\d:\d", around):
        return True
    if amount.is_money:
        return False
    # The day or the year of "Sep 16, 2026"; the day of "16 Sep 2026" (its year follows a
    # month's name too).
    number = text[amount.start : amount.end].strip()
    return bool(_AFTER_MONTH.search(text[: amount.start])) or bool(
        re.fullmatch(r"\d{1,2}", number) and _BEFORE_MONTH.match(text[amount.end :])
    )


def confidence_of(row: Labelled) -> float:
    return row.line.confidence_of(row.amount.start, row.amount.end)


def total_find(rows: list[Labelled]) -> tuple[Found, Labelled] | None:
    tiers: dict[int, list[Labelled]] = {3: [], 2: []}
    repeats = Counter(value for row in rows for value in row.values)
    for row in rows:
        if row.amount is None or row.amount.value <= 0:
            continue
        if _NOT_TOTAL.search(row.label) or (_TAX.search(row.label) and "incl" not in row.label):
            continue
        if _TOTAL_STRONG.search(row.label):
            tiers[3].append(row)
        elif _TOTAL.search(row.label):
            tiers[2].append(row)
    labelled = [(3, row) for row in tiers[3]] + [(2, row) for row in tiers[2]]
    if labelled:
        # An amount written as money (a sign, cents) before a bare number; then the one
        # the receipt repeats most (a total is printed again: "Amount due", the card
        # slip, a headline), which outvotes a digit misread on one line; then the line
        # that says it best ("Amount due" over "Total"); then the largest.
        tier, row = max(
            labelled,
            key=lambda t: (
                t[1].amount.is_money,
                repeats[t[1].amount.value],
                t[0],
                t[1].amount.value,
            ),
        )
        weight = 0.97 if tier == 3 else 0.9
        return Found(row.amount.value, round(weight * confidence_of(row), 3)), row
    # No line says total: the largest amount written as money, a guess.
    amounts = [r for r in rows if r.amount and r.amount.value > 0]
    if not amounts:
        return None
    row = max(
        amounts, key=lambda r: (r.amount.sign is not None, r.amount.has_decimals, r.amount.value)
    )
    return Found(row.amount.value, round(0.4 * confidence_of(row), 3)), row


def tax_find(rows: list[Labelled], total: Decimal | None) -> Found | None:
    totals, lines = [], []
    for row in rows:
        if row.amount is None or not _TAX.search(row.label) or _NOT_TAX.search(row.label):
            continue
        if total is not None and row.amount.value >= total:
            continue
        if _TAX_TOTAL.search(row.label):
            totals.append(row)
        elif not re.search(r"\btotal\b|gesamt|summe", row.label):
            lines.append(row)
    if totals:
        row = totals[-1]
        return Found(row.amount.value, round(0.95 * confidence_of(row), 3))
    if not lines:
        return _tax_by_difference(rows, total)
    # Several rates (7% and 19%) are summed; the same line read twice is one.
    distinct = {(r.label, r.amount.value): r for r in lines}
    value = sum((r.amount.value for r in distinct.values()), Decimal(0))
    if total is not None and value >= total:
        return None
    confidence = min(confidence_of(r) for r in distinct.values())
    return Found(value, round((0.9 if len(distinct) == 1 else 0.75) * confidence, 3))


_SUBTOTAL = re.compile(r"sub\s?-?\s?total|zwischensumme|\bnet\b|netto|excl|\bht\b|before\s?tax")


def _tax_by_difference(rows: list[Labelled], total: Decimal | None) -> Found | None:
    """A tax line whose label was misread: the amount that is the total less the subtotal."""
    subtotals = [r for r in rows if r.amount and _SUBTOTAL.search(r.label)]
    if total is None or not subtotals:
        return None
    difference = total - subtotals[-1].amount.value
    if difference <= 0:
        return None
    for row in rows:
        if row.amount and row.amount.value == difference and row is not subtotals[-1]:
            confidence = min(confidence_of(row), confidence_of(subtotals[-1]))
            return Found(difference, round(0.6 * confidence, 3))
    return None


def currency_find(rows: list[Labelled], total_row: Labelled | None, text: str) -> Found | None:
    lowered = text.lower()
    signs = Counter(r.amount.sign for r in rows if r.amount and r.amount.sign)
    stated = re.search(r"currency\s*[:\s]\s*([A-Z]{3})\b", text)
    ordered = []
    if total_row and total_row.amount.sign:
        ordered.append((total_row.amount.sign, total_row))
    if stated:
        ordered.append((stated.group(1), None))
    ordered += [(sign, None) for sign, _count in signs.most_common()]
    for sign, row in ordered:
        code = _iso_code(sign)
        confidence = confidence_of(row) if row else 1.0
        if code:
            weight = 0.95 if len(sign) == 3 or code not in _DOLLAR_CODES else 0.9
            return Found(code, round(weight * confidence, 3))
        if sign == "$":
            codes = {_iso_code(s) for s in signs} & _DOLLAR_CODES
            if len(codes) == 1:
                return Found(codes.pop(), round(0.85 * confidence, 3))
            # The letterhead's address (the lines before the customer's): a Canadian postcode
            # (A1A 1A1) or an Australian state and postcode (VIC 3000) there.
            letterhead = "\n".join(
                re.split(r"(?i)bill(?:ed)? to|customer", text)[0].splitlines()[:8]
            )
            for pattern, code in _DOLLAR_HINTS:
                if pattern.search(lowered) or pattern.search(letterhead):
                    return Found(code, round(0.75 * confidence, 3))
            return Found("USD", round(0.8 * confidence, 3))
    return None
