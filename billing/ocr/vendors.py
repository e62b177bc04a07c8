"""Who issued a receipt: one of the 13 services when it names one, else its letterhead."""

import re

from billing.models import Service
from billing.services.expenses import service_of_vendor

from .lines import Found, Line

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


def vendor_find(lines: list[Line]) -> Found | None:
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
