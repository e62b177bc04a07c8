"""What a receipt says: vendor, date, total, currency and tax, found in its lines of text.

The hard parts are left to maintained parsers: amounts and currency signs to price-parser
(`Price.fromstring`: thousand and decimal separators, symbols and codes), dates to
dateparser (`search_dates`: dozens of formats and month names, day/month order). What is
written here is where to look: small keyword patterns that pick the lines a receipt labels
TOTAL, AMOUNT DUE, VAT, Date..., which no library knows, and the choice among candidates.

Each field's confidence (0..1) is how it was found (a "total" line, or only the largest
amount on the receipt) times how sure the OCR was of the words it came from (1 for a PDF's
text layer).
"""

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pycountry
from dateparser.search import search_dates
from price_parser import Price

from billing.models import Service
from billing.services.expenses import service_of_vendor


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float  # 0..1, tesseract's word confidence; 1 for a PDF's text layer
    height: float = 0.0  # type size, pixels (points for a text layer): how prominent it is
    left: float = 0.0  # where it starts and ends across the page, in the same unit
    right: float = 0.0


@dataclass(frozen=True)
class Line:
    words: tuple[Word, ...]
    page: int = 0

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @property
    def height(self) -> float:
        heights = [word.height for word in self.words if any(c.isalpha() for c in word.text)]
        return statistics.median(heights) if heights else 0.0

    def parts(self) -> list["Line"]:
        """The line cut where words are far apart: two columns that the layout analysis
        set on one line (a letterhead's name and the word INVOICE across the page)."""
        parts, words = [], [self.words[0]]
        for word in self.words[1:]:
            gap = word.left - words[-1].right
            if words[-1].right and gap > 2 * min(word.height, words[-1].height):
                parts.append(Line(tuple(words), self.page))
                words = []
            words.append(word)
        return [*parts, Line(tuple(words), self.page)]

    def confidence_of(self, start: int, end: int) -> float:
        """The least word confidence over the characters start..end of `text`."""
        position, found = 0, []
        for word in self.words:
            word_end = position + len(word.text)
            if position < end and word_end > start:
                found.append(word.confidence)
            position = word_end + 1
        return min(found) if found else 1.0


@dataclass(frozen=True)
class Found:
    value: object
    confidence: float


# --- OCR repairs ------------------------------------------------------------------------
# tesseract reads O for 0 and l/I for 1 inside numbers ("12.5O", "15/0l/2026"), and the
# reverse inside words ("T0TAL"); repaired by the token's majority kind.
_TOKEN = re.compile(r"[0-9OolI|SB]+(?:[.,:/'-][0-9OolI|SB]+)*")
_TO_DIGIT = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1"})
_WORD = re.compile(r"[A-Za-z0-9]+")
_TO_LETTER = str.maketrans({"0": "o", "1": "l", "5": "s"})


def _digits_repaired(text: str) -> str:
    text = re.sub(r"(\d) ([.,]\d{2})(?!\d)", r"\1\2", text)  # "40 .02": a space read into a price
    # "CAS1,072.76", "S12.50": a dollar sign read as an S, right before a price with cents.
    text = re.sub(r"(?<![A-Za-z])(CA|C|A|US|NZ|HK)?S(?=\d[\d,]*\.\d{2}(?!\d))", r"\1$", text)

    def repair(match: re.Match) -> str:
        token = match.group(0)
        digits = sum(c.isdigit() for c in token)
        if digits and digits >= sum(c.isalpha() for c in token) * 2 and "S" not in token:
            return token.translate(_TO_DIGIT)
        return token

    return _TOKEN.sub(repair, text)


def _label_repaired(text: str) -> str:
    """A label in lower case with digits read inside words put back as letters."""

    def repair(match: re.Match) -> str:
        token = match.group(0)
        letters = sum(c.isalpha() for c in token)
        return token.translate(_TO_LETTER) if letters >= 2 else token

    return _WORD.sub(repair, text).lower()


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


def _amounts(text: str, decimal_separator: str | None) -> list[Amount]:
    found = []
    for match in _AMOUNT.finditer(text):
        number = re.search(r"\d[\d.,'\s\u202f\u00a0]*", match.group(0)).group(0).rstrip()
        # One or two digits after the last separator are cents whatever the receipt's
        # habit ("106,26" misread on a receipt of points); the habit only settles "1,234".
        cents = re.search(r"[.,]\d{1,2}$", number)
        hint = None if cents else decimal_separator
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


def _decimal_separator(lines: list[str]) -> str | None:
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
    r"sub\s?-?\s?total|zwischen|sous|subtotaal|\bnet\b(?!\s?[àa]\s?payer)|netto|excl|ex\.?\s?(?:vat|tax)|before|"
    r"pre-?tax|items?\b|qty|quantity|savings|saved|discount|tip\b|tips\b|change\b|"
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
_DATE_LABEL = re.compile(r"\b(?:date|dated|issued|\w*datum|fecha|data|paid\s?on|le|am|du)\b")
# Dates that are not the receipt's: when it is due, a billing period, a card's expiry.
_NOT_DATE = re.compile(
    r"\b(?:due|period|from|until|through|to|expir\w*|exp|valid|since|birth|start|end|next|"
    r"renew\w*|by|before|f[äa]llig|[ée]ch[ée]ance|vencimiento|bis)\b"
)


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


# --- vendor -----------------------------------------------------------------------------
# The 13 services by the names their invoices carry (labels, companies, products),
# longest first so "Google Cloud" wins over "Google".
_SERVICE_NAMES = sorted(
    {
        *(label for _value, label in Service.choices),
        "Amazon Web Services",
        "Anysphere",
        "Microsoft Azure",
        "Google Cloud Platform",
        "ChatGPT",
        "GitHub Copilot",
        "Claude",
    },
    key=len,
    reverse=True,
)
# Compared with the letters OCR confuses folded together (OpenAl, G1tHub, C0pilot): one
# character for one, so positions in the folded text are positions in the line.
_CONFUSABLE = str.maketrans({"l": "i", "1": "i", "|": "i", "!": "i", "0": "o"})
_SERVICE_OF_NAME = {
    name.lower().translate(_CONFUSABLE): service_of_vendor(name) for name in _SERVICE_NAMES
}
_SERVICE_PATTERN = re.compile(r"\b(" + "|".join(map(re.escape, _SERVICE_OF_NAME)) + r")\b")
_LABEL_OF_SERVICE = dict((value, label) for value, label in Service.choices)
# Lines that name a payment method or product integration, not who issued the receipt.
_NOT_VENDOR_CONTEXT = re.compile(r"\bpay\b|paid\s?(?:with|via|by)|via\b|powered")
_HEADER_WORDS = re.compile(
    r"\b(?:tax\s?invoice|sales\s?receipt|invoice|receipt|rechnung|quittung|facture|factura|"
    r"reçu|kassenbon|customer\s?copy|duplicate|welcome\s?to|thank\s?you|"
    r"page\s?\d+(?:\s?of\s?\d+)?)\b",
    re.IGNORECASE,
)
_LEGAL_SUFFIX = re.compile(
    r"^(?:inc|llc|ltd|limited|pbc|gmbh|ag|sa|sas|sarl|bv|plc|co|corp|corporation|kk)\.?$",
    re.IGNORECASE,
)


def _service_vendor(lines: list[Line]) -> Found | None:
    """One of the 13 services named near the top, or on a line of its own further down
    (the seller block of an invoice), never as a payment method ("Google Pay")."""
    for index, line in enumerate(lines):
        text = _BESIDE.sub("", line.text).lower()
        if _NOT_VENDOR_CONTEXT.search(text):
            continue
        for match in _SERVICE_PATTERN.finditer(text.translate(_CONFUSABLE)):
            service = _SERVICE_OF_NAME[match.group(1)]
            if not service:
                continue
            rest = [w for w in re.split(r"[\s,]+", text[match.end() :]) if w]
            alone = len(text[: match.start()].strip()) == 0 and all(
                _LEGAL_SUFFIX.match(w) for w in rest
            )
            if index < 8 or alone:
                confidence = line.confidence_of(match.start(), match.end())
                weight = 0.95 if (alone or index < 3) else 0.8
                return Found(_LABEL_OF_SERVICE[service], round(weight * confidence, 3))
    return None


# Lines that are a field of the receipt, an address or a contact, not a name.
_NOT_NAME = re.compile(
    r"\b(?:number|no|nr|date|dated|due|order|account|customer|reference|ref|period|table|"
    r"server|cashier|till|terminal|tel|phone|fax|vat|tax|iban|swift|bic|abn|page|invoice|"
    r"description|qty|quantity|price|amount|total|subtotal|sub-total|balance|summary)\b|"
    r"[#:@]|www\.|https?:|^\d+[a-z]?\s|\d{3,}|\d[.,]\d{2}\b",
    re.IGNORECASE,
)
# What a line beside the vendor's says (the customer's block of an invoice, set on the
# same line by the layout).
_BESIDE = re.compile(r"\b(?:bill(?:ed)?\s?to|sold\s?to|ship\s?to|customer)\b.*", re.IGNORECASE)


def _name_of(line: Line) -> str | None:
    """The line as a vendor's name, or None when it is a label, an address, a number..."""
    text = _BESIDE.sub(" ", _HEADER_WORDS.sub(" ", line.text))
    text = re.sub(r"\s{2,}", " ", text).strip(" -_:#*,|=~'\"")
    last = text.split()[-1] if text.split() else ""
    if last.endswith(".") and not (_LEGAL_SUFFIX.match(last) or "." in last[:-1]):
        text = text[:-1]  # a full stop, not the one of "Inc." or "S.A.R.L."
    text = re.sub(r"^(?:from|by|von|de)\s+", "", text, flags=re.IGNORECASE)  # "Receipt from X"
    letters = sum(c.isalpha() for c in text)
    if letters < 3 or sum(c.isdigit() for c in text) > letters or _NOT_NAME.search(text):
        return None
    if re.fullmatch(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+", text):  # a web address: "acme.example"
        return None
    squeezed = re.sub(r"\W+", "", line.text)
    if _HEADER_WORDS.fullmatch(squeezed) or squeezed.lower() == "welcome":  # "REC HNU NG"
        return None
    return text


def _vendor(lines: list[Line]) -> Found | None:
    found = _service_vendor(lines)
    if found:
        return found
    top = [line for line in lines if line.page == 0][:12]
    names = [
        (index, part, _name_of(part)) for index, line in enumerate(top) for part in line.parts()
    ]
    names = [(index, line, name) for index, line, name in names if name]
    if not names:
        return None
    heights = sorted(line.height for line in top if line.height)
    typical = heights[len(heights) // 2] if heights else 0.0
    # The name is printed larger than the rest (a till slip's header, an invoice's
    # letterhead); failing that, the first line that can be a name.
    index, line, name = names[0]
    weight = 0.8 if index == 0 else 0.65
    tallest = max((n for n in names if n[0] < 5), key=lambda n: n[1].height, default=None)
    if tallest and typical and tallest[1].height >= typical * 1.25:
        index, line, name = tallest
        weight = 0.9
    confidence = min(word.confidence for word in line.words)
    return Found(name, round(weight * confidence, 3))


# --- the fields -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Labelled:
    line: Line
    text: str  # repaired
    label: str  # the words before the amount, repaired, lower case
    amount: Amount | None
    values: tuple[Decimal, ...] = ()  # every amount on the line


def _labelled(lines: list[Line], separator: str | None) -> list[_Labelled]:
    rows = []
    for line in lines:
        text = _digits_repaired(line.text)
        amounts = [a for a in _amounts(text, separator) if not _is_date_part(text, a)]
        # The line's amount is its last one written as money ("$890.93 due Sep 16" is
        # 890.93, not 16), or its last number.
        money = [a for a in amounts if a.is_money]
        amount = (money or amounts or [None])[-1]
        label = _label_repaired(text[: amount.start] if amount else text)
        rows.append(_Labelled(line, text, label, amount, tuple(a.value for a in amounts)))
    # A label whose amount was set on the next line ("Total" above "$12.00").
    for index, row in enumerate(rows[:-1]):
        following = rows[index + 1]
        if (
            row.amount is None
            and following.amount is not None
            and not re.search(r"[a-z]{3}", following.label)
        ):
            rows[index] = _Labelled(
                row.line, row.text, row.label, following.amount, following.values
            )
            rows[index + 1] = _Labelled(following.line, following.text, following.label, None)
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


def _confidence_of(row: _Labelled) -> float:
    return row.line.confidence_of(row.amount.start, row.amount.end)


def _total(rows: list[_Labelled]) -> tuple[Found, _Labelled] | None:
    tiers: dict[int, list[_Labelled]] = {3: [], 2: []}
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
        return Found(row.amount.value, round(weight * _confidence_of(row), 3)), row
    # No line says total: the largest amount written as money, a guess.
    amounts = [r for r in rows if r.amount and r.amount.value > 0]
    if not amounts:
        return None
    row = max(
        amounts, key=lambda r: (r.amount.sign is not None, r.amount.has_decimals, r.amount.value)
    )
    return Found(row.amount.value, round(0.4 * _confidence_of(row), 3)), row


def _tax(rows: list[_Labelled], total: Decimal | None) -> Found | None:
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
        return Found(row.amount.value, round(0.95 * _confidence_of(row), 3))
    if not lines:
        return _tax_by_difference(rows, total)
    # Several rates (7% and 19%) are summed; the same line read twice is one.
    distinct = {(r.label, r.amount.value): r for r in lines}
    value = sum((r.amount.value for r in distinct.values()), Decimal(0))
    if total is not None and value >= total:
        return None
    confidence = min(_confidence_of(r) for r in distinct.values())
    return Found(value, round((0.9 if len(distinct) == 1 else 0.75) * confidence, 3))


_SUBTOTAL = re.compile(r"sub\s?-?\s?total|zwischensumme|\bnet\b|netto|excl|\bht\b|before\s?tax")


def _tax_by_difference(rows: list[_Labelled], total: Decimal | None) -> Found | None:
    """A tax line whose label was misread: the amount that is the total less the subtotal."""
    subtotals = [r for r in rows if r.amount and _SUBTOTAL.search(r.label)]
    if total is None or not subtotals:
        return None
    difference = total - subtotals[-1].amount.value
    if difference <= 0:
        return None
    for row in rows:
        if row.amount and row.amount.value == difference and row is not subtotals[-1]:
            confidence = min(_confidence_of(row), _confidence_of(subtotals[-1]))
            return Found(difference, round(0.6 * confidence, 3))
    return None


def _currency(rows: list[_Labelled], total_row: _Labelled | None, text: str) -> Found | None:
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
        confidence = _confidence_of(row) if row else 1.0
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


_EARLIEST = date(2000, 1, 1)  # a receipt's date is after this and within a year of today


def _date(rows: list[_Labelled], currency: str | None) -> Found | None:
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
            label = _label_repaired(" ".join(before.split()[-3:]))
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


def fields_extract(lines: list[Line]) -> dict[str, Found]:
    """The fields found in a receipt's lines (all pages, in reading order); a field not
    found is absent."""
    lines = [line for line in lines if line.words]
    separator = _decimal_separator([_digits_repaired(line.text) for line in lines])
    rows = _labelled(lines, separator)
    text = "\n".join(row.text for row in rows)
    fields: dict[str, Found] = {}
    vendor = _vendor(lines)
    if vendor:
        fields["vendor"] = vendor
    total = _total(rows)
    total_row = None
    if total:
        fields["total"], total_row = total
    currency = _currency(rows, total_row, text)
    if currency:
        fields["currency"] = currency
    tax = _tax(rows, fields["total"].value if "total" in fields else None)
    if tax:
        fields["tax"] = tax
    day = _date(rows, currency.value if currency else None)
    if day:
        fields["date"] = day
    return fields


def lines_of_text(text: str) -> list[Line]:
    """Plain text as lines of words all read with certainty (a PDF's text layer, tests)."""
    return [
        Line(tuple(Word(word, 1.0) for word in raw.split()))
        for raw in text.splitlines()
        if raw.strip()
    ]
