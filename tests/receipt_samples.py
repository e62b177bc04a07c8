"""Realistic receipts rendered from a seed, with what they say, for the OCR tests and
bench/receipts.py (issue 15). No Django: Pillow draws images, fpdf2 writes PDFs.

    sample = receipt_sample(7)                                  # everything from the seed
    sample = receipt_sample(7, layout="till", currency="EUR", output="jpeg", degradation="skew")
    sample.data, sample.content_type, sample.truth.total

Layouts: "till" (a narrow thermal-printer slip, 203 dpi), "invoice" (A4 with a table of
lines, the vendor's block and the customer's, invoice and due dates) and "saas" (a
Stripe-style bill from a software service: OpenAI, Anthropic, Vercel... or another).
Every page is laid out once in points (`_Page`) and then drawn by either backend, so an
image, a scanned PDF and a PDF with a text layer of one receipt say the same thing.

Outputs: png, jpeg, webp, tiff (images), pdf (fpdf2: a text layer), pdf-scan (the image
saved by Pillow as a PDF: no text layer) and pdf-mixed (fpdf2, two pages: the first with
text, the second an image). Degradations of the rendered image: none, noise (gaussian),
blur, jpeg (heavy compression), skew (1-4 degrees), photo (all of them and uneven light).
"""

import io
import logging
import random
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from fpdf import FPDF
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

# fpdf2 subsets fonts through fontTools, which logs every glyph at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)

LAYOUTS = ("till", "invoice", "saas")
OUTPUTS = ("png", "jpeg", "webp", "tiff", "pdf", "pdf-scan", "pdf-mixed")
DEGRADATIONS = ("none", "noise", "blur", "jpeg", "skew", "photo")
CONTENT_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "tiff": "image/tiff",
}

_FONTS_DIR = "/usr/share/fonts/truetype"
FONTS = {  # family: (regular, bold)
    "dejavu-sans": ("dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf"),
    "dejavu-mono": ("dejavu/DejaVuSansMono.ttf", "dejavu/DejaVuSansMono-Bold.ttf"),
    "dejavu-serif": ("dejavu/DejaVuSerif.ttf", "dejavu/DejaVuSerif-Bold.ttf"),
    "dejavu-condensed": ("dejavu/DejaVuSansCondensed.ttf", "dejavu/DejaVuSansCondensed-Bold.ttf"),
    "liberation-sans": (
        "liberation/LiberationSans-Regular.ttf",
        "liberation/LiberationSans-Bold.ttf",
    ),
    "liberation-serif": (
        "liberation/LiberationSerif-Regular.ttf",
        "liberation/LiberationSerif-Bold.ttf",
    ),
    "liberation-mono": (
        "liberation/LiberationMono-Regular.ttf",
        "liberation/LiberationMono-Bold.ttf",
    ),
    "liberation-narrow": (
        "liberation/LiberationSansNarrow-Regular.ttf",
        "liberation/LiberationSansNarrow-Bold.ttf",
    ),
}
_TILL_FONTS = ("dejavu-mono", "liberation-mono", "dejavu-condensed", "liberation-narrow")
_PAGE_FONTS = (
    "dejavu-sans",
    "dejavu-serif",
    "liberation-sans",
    "liberation-serif",
    "dejavu-condensed",
)


@dataclass(frozen=True)
class Truth:
    vendor: str
    date: date
    total: Decimal
    currency: str
    tax: Decimal | None


@dataclass(frozen=True)
class Sample:
    data: bytes
    content_type: str
    truth: Truth
    layout: str
    font: str
    output: str
    degradation: str
    pages: int
    text_pages: int  # pages with a text layer (the others are images)

    @property
    def name(self) -> str:
        return f"{self.layout}/{self.font}/{self.output}/{self.degradation}"


# --- money and dates as receipts write them ----------------------------------------------
@dataclass(frozen=True)
class _Money:
    code: str
    sign: str  # "$", " €", "CHF ", "" ...
    suffix: bool
    style: str  # us 1,234.56 | eu 1.234,56 | fr 1 234,56 | ch 1'234.50 | jp 12,800
    locale: str  # us, uk, de, fr, ch, jp, ca, au, ie

    def number(self, amount: Decimal) -> str:
        places = Decimal(1) if self.style == "jp" else Decimal("0.01")
        whole, _, cents = f"{amount.quantize(places, ROUND_HALF_UP):f}".partition(".")
        group = {"us": ",", "jp": ",", "eu": ".", "fr": " ", "ch": "'"}[self.style]
        digits = []
        for index, digit in enumerate(reversed(whole)):
            if index and index % 3 == 0:
                digits.append(group)
            digits.append(digit)
        whole = "".join(reversed(digits))
        if not cents:
            return whole
        return f"{whole}{',' if self.style in ('eu', 'fr') else '.'}{cents}"

    def money(self, amount: Decimal) -> str:
        return (
            f"{self.number(amount)}{self.sign}"
            if self.suffix
            else f"{self.sign}{self.number(amount)}"
        )


_MONIES = {
    "USD": [_Money("USD", "$", False, "us", "us")],
    "EUR": [
        _Money("EUR", " €", True, "eu", "de"),
        _Money("EUR", " €", True, "fr", "fr"),
        _Money("EUR", "€", False, "us", "ie"),
        _Money("EUR", "EUR ", False, "eu", "de"),
    ],
    "GBP": [_Money("GBP", "£", False, "us", "uk")],
    "JPY": [_Money("JPY", "¥", False, "jp", "jp"), _Money("JPY", "JPY ", False, "jp", "jp")],
    "CHF": [_Money("CHF", "CHF ", False, "ch", "ch"), _Money("CHF", "CHF ", False, "us", "ch")],
    "CAD": [_Money("CAD", "CA$", False, "us", "ca"), _Money("CAD", "$", False, "us", "ca")],
    "AUD": [_Money("AUD", "A$", False, "us", "au"), _Money("AUD", "$", False, "us", "au")],
}
CURRENCIES = tuple(_MONIES)
_MONTHS = "January February March April May June July August September October November December"
MONTHS = _MONTHS.split()


def _date_text(day: date, style: str) -> str:
    month = MONTHS[day.month - 1]
    return {
        "iso": day.isoformat(),
        "dmy/": f"{day:%d/%m/%Y}",
        "mdy/": f"{day:%m/%d/%Y}",
        "dmy.": f"{day:%d.%m.%Y}",
        "ymd/": f"{day:%Y/%m/%d}",
        "d mon y": f"{day.day} {month[:3]} {day.year}",
        "d month y": f"{day.day} {month} {day.year}",
        "mon d, y": f"{month[:3]} {day.day}, {day.year}",
        "month d, y": f"{month} {day.day}, {day.year}",
        "d-mon-y": f"{day:%d}-{month[:3]}-{day.year}",
        "mdy/2": f"{day:%m/%d/%y}",
    }[style]


# Date styles by where the receipt is from: month first only in the US.
_DATE_STYLES = {
    "us": ("mdy/", "mdy/", "mon d, y", "month d, y", "iso", "mdy/2"),
    "uk": ("dmy/", "d mon y", "d month y", "iso", "d-mon-y"),
    "ie": ("dmy/", "d month y", "d mon y"),
    "au": ("dmy/", "d mon y", "iso"),
    "de": ("dmy.", "dmy.", "iso", "d month y"),
    "ch": ("dmy.", "iso"),
    "fr": ("dmy/", "dmy.", "d month y"),
    "jp": ("ymd/", "iso"),
    "ca": ("iso", "mon d, y", "month d, y"),
}
_TAXES = {  # locale: (label, rate, included in prices)
    "us": (("Sales Tax", "8.875"), ("Tax", "7.25"), ("SALES TAX", "6.5")),
    "uk": (("VAT", "20"),),
    "ie": (("VAT", "23"), ("VAT", "13.5")),
    "au": (("GST", "10"),),
    "de": (("MwSt", "19"), ("MwSt", "7"), ("USt", "19")),
    "ch": (("MWST", "8.1"), ("MWST", "2.6")),
    "fr": (("TVA", "20"), ("TVA", "10")),
    "jp": (("Consumption tax", "10"), ("Tax", "8")),
    "ca": (("HST", "13"), ("GST", "5")),
}
_INCLUSIVE = {"uk", "ie", "au", "de", "ch", "fr", "jp"}  # shop prices include the tax
_TOTAL_LABELS = {
    "till": ("TOTAL", "Total", "TOTAL DUE", "BALANCE DUE", "Amount due", "GRAND TOTAL", "TOTAL"),
    "invoice": ("Total", "TOTAL", "Total due", "Amount due", "Invoice total", "Grand total"),
    "saas": ("Total", "Amount due", "Amount paid"),
}
_LOCAL_TOTAL = {"de": ("SUMME", "Gesamtbetrag"), "fr": ("TOTAL TTC", "Net à payer")}
_SUBTOTAL_LABELS = ("Subtotal", "SUBTOTAL", "Sub-total", "Net amount", "Total excl. tax")


# --- vendors and what they sell ----------------------------------------------------------
# (label the service is booked under, name on the bill, products)
SERVICES = (
    (
        "OpenAI",
        "OpenAI, LLC",
        ("ChatGPT Plus subscription", "API usage gpt-4o", "ChatGPT Team seat"),
    ),
    ("Anthropic", "Anthropic, PBC", ("Claude Pro", "API usage claude-sonnet", "Claude Team seat")),
    ("Vercel", "Vercel Inc.", ("Pro plan", "Bandwidth 100 GB", "Function invocations")),
    ("GitHub", "GitHub, Inc.", ("Copilot Business seat", "Team plan", "Actions minutes")),
    ("Supabase", "Supabase, Inc.", ("Pro plan", "Compute add-on", "Database egress")),
    ("Cursor", "Anysphere, Inc.", ("Cursor Pro", "Business seat", "Usage-based requests")),
    ("Replit", "Replit, Inc.", ("Replit Core", "Deployments", "Agent checkpoints")),
    ("AWS", "Amazon Web Services, Inc.", ("Amazon Bedrock", "EC2 instances", "S3 storage")),
    ("Google Cloud", "Google Cloud EMEA Limited", ("Vertex AI", "Compute Engine", "Cloud Run")),
    ("Lovable", "Lovable Labs", ("Pro plan", "Extra credits")),
)
_OTHER_SAAS = (
    ("Linear Orbit, Inc.", ("Business plan", "Seats")),
    ("Notion Labs, Inc.", ("Plus plan", "AI add-on")),
    ("Figma, Inc.", ("Professional seat", "Dev Mode")),
    ("Sentry", ("Team plan", "Error events")),
    ("Fly.io", ("Machines", "Volumes", "Bandwidth")),
    ("Postmark", ("10k emails", "Dedicated IP")),
)
_SURNAMES = (
    *("Hartley", "Murphy", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Rossi", "Schmidt"),
    *("Kowalski", "Dubois", "Patel", "Nakamura", "Weber", "O'Brien", "Silva", "Jensen"),
    *("Fischer", "Garcia", "Novak", "Brennan", "Costa", "Larsen", "Meyer"),
)
_TRADES = {
    "Bakery": ("Sourdough loaf", "Croissant", "Rye bread", "Cinnamon bun", "Baguette", "Coffee"),
    "Coffee": ("Flat white", "Latte", "Espresso", "Muffin", "Iced tea", "Bagel"),
    "Hardware": ("Wood screws 4x40", "Claw hammer", "Paint roller", "Duct tape", "Batteries AA"),
    "Pharmacy": ("Ibuprofen 200mg", "Plasters", "Sun cream SPF30", "Vitamin C", "Toothpaste"),
    "Books": ("Paperback novel", "Notebook A5", "Road atlas", "Gift card", "Bookmark"),
    "Market": ("Bananas 1kg", "Whole milk", "Eggs x12", "Cheddar", "Tomatoes", "Olive oil"),
    "Stationers": ("Printer paper A4", "Ballpoint pens", "Stapler", "Folders", "Ink cartridge"),
    "Electronics": ("USB-C cable", "HDMI adapter", "Wireless mouse", "Power bank", "SD card"),
    "Kitchen": ("Lunch special", "Soup of the day", "Sparkling water", "Burger", "Side salad"),
    "Garage": ("Oil change", "Wiper blades", "Tyre check", "Coolant", "Air freshener"),
}
_NOUNS = "Copper Kettle|Blue Door|Green Leaf|Old Mill|Northside|Harbour|Red Lantern|Silver Birch"
_SHOPS = (
    "Tesco Express",
    "Pret A Manger",
    "Staples",
    "Whole Foods Market",
    "Walgreens",
    "FamilyMart",
    "Migros",
    "Monoprix",
    "Shoppers Drug Mart",
    "Woolworths",
    "Rewe Markt",
    "7-Eleven",
)
_SUFFIXES = ("Ltd", "GmbH", "LLC", "B.V.", "S.A.R.L.", "& Co.", "Inc.", "Pty Ltd")
_STREETS = (
    "High Street",
    "Market Square",
    "Main St",
    "Bahnhofstrasse",
    "Rue de la Paix",
    "Queen St",
)
_CITIES = {
    "us": ("Portland, OR 97205", "Austin, TX 78701", "Brooklyn, NY 11201"),
    "uk": ("Leeds LS1 4AP", "Bristol BS1 5TR", "London EC2A 4NE"),
    "ie": ("Dublin 2", "Cork T12 X8K2"),
    "au": ("Sydney NSW 2000", "Melbourne VIC 3000"),
    "de": ("10115 Berlin", "80331 München", "20095 Hamburg"),
    "ch": ("8001 Zürich", "3011 Bern"),
    "fr": ("75008 Paris", "69002 Lyon"),
    "jp": ("Shibuya, Tokyo 150-0002", "Osaka 530-0001"),
    "ca": ("Toronto, ON M5V 2T6", "Vancouver, BC V6B 1A1"),
}


def _shop_name(rng: random.Random) -> tuple[str, str]:
    trade = rng.choice(list(_TRADES))
    kind = rng.random()
    if kind < 0.25:
        name = rng.choice(_SHOPS)
    elif kind < 0.6:
        name = f"{rng.choice(_SURNAMES)} {trade}"
    elif kind < 0.85:
        name = f"{rng.choice(_NOUNS.split('|'))} {trade}"
    else:
        name = f"The {rng.choice(_NOUNS.split('|'))}"
    return name, trade


# --- the page model ----------------------------------------------------------------------
@dataclass(frozen=True)
class _Text:
    x: float  # points from the left; where `align` puts the text
    y: float  # baseline, points from the top
    text: str
    size: float
    bold: bool = False
    align: str = "left"  # left, right, center


@dataclass
class _Page:
    width: float
    height: float
    font: str
    texts: list[_Text] = field(default_factory=list)
    rules: list[tuple[float, float, float, float]] = field(default_factory=list)

    def text(self, x: float, y: float, text: str, size: float, **style: object) -> None:
        self.texts.append(_Text(x, y, text, size, **style))

    def rule(self, x1: float, y: float, x2: float) -> None:
        self.rules.append((x1, y, x2, y))


@dataclass(frozen=True)
class _Content:
    vendor: str  # as printed
    truth_vendor: str
    trade: str
    money: _Money
    day: date
    date_style: str
    items: list[tuple[str, int, Decimal]]  # description, quantity, unit price
    tax_label: str | None
    tax_rate: Decimal
    inclusive: bool
    total_label: str
    subtotal: Decimal
    tax: Decimal | None
    total: Decimal
    city: str
    number: str

    def date(self, day: date | None = None) -> str:
        return _date_text(day or self.day, self.date_style)


def _content(rng: random.Random, layout: str, currency: str) -> _Content:
    money = rng.choice(_MONIES[currency])
    if layout == "saas" and money.sign == "$" and currency != "USD":
        money = _MONIES[currency][0]  # billing services write A$, CA$ beside their dollars
    locale = money.locale
    if layout == "saas":
        if rng.random() < 0.7:
            truth, vendor, products = rng.choice(SERVICES)
        else:
            vendor, products = rng.choice(_OTHER_SAAS)
            truth = vendor
        trade = "Software"
    else:
        vendor, trade = _shop_name(rng)
        products = _TRADES[trade]
        if layout == "invoice" and rng.random() < 0.7:
            vendor = f"{vendor} {rng.choice(_SUFFIXES)}"
        truth = vendor
    scale = Decimal(150) if currency == "JPY" else Decimal(1)
    places = Decimal(1) if currency == "JPY" else Decimal("0.01")
    high = {"till": 40, "invoice": 2400, "saas": 900}[layout]
    items = []
    for description in rng.sample(products, min(len(products), rng.randint(1, 5))):
        unit = (Decimal(str(round(rng.uniform(0.8, high), 2))) * scale).quantize(places)
        items.append((description, rng.choice((1, 1, 1, 2, 3)), unit))
    lines = sum((quantity * unit for _, quantity, unit in items), Decimal(0))
    label, rate = rng.choice(_TAXES[locale])
    rate = Decimal(rate)
    inclusive = locale in _INCLUSIVE and layout == "till"
    has_tax = rng.random() < 0.85
    if not has_tax:
        tax, subtotal, total = None, lines, lines
    elif inclusive:
        total = lines
        tax = (total * rate / (100 + rate)).quantize(places, ROUND_HALF_UP)
        subtotal = total - tax
    else:
        subtotal = lines
        tax = (subtotal * rate / 100).quantize(places, ROUND_HALF_UP)
        total = subtotal + tax
    labels = _TOTAL_LABELS[layout] + (_LOCAL_TOTAL.get(locale, ()) if layout == "till" else ())
    styles = _DATE_STYLES[locale]
    if layout == "saas":
        styles = ("month d, y", "mon d, y") if locale in ("us", "ca") else ("d month y", "d mon y")
    return _Content(
        vendor=vendor,
        truth_vendor=truth,
        trade=trade,
        money=money,
        day=date(2025, 1, 1) + timedelta(days=rng.randrange(690)),
        date_style=rng.choice(styles),
        items=items,
        tax_label=label if has_tax else None,
        tax_rate=rate,
        inclusive=inclusive,
        total_label=rng.choice(labels),
        subtotal=subtotal,
        tax=tax,
        total=total,
        city=rng.choice(_CITIES[locale]),
        number=f"{rng.choice(('INV', 'A', 'R', ''))}{rng.randint(1000, 99999)}",
    )


def _rate(rate: Decimal) -> str:
    return f"{rate.normalize():f}%"


def _tax_line(content: _Content) -> str:
    if content.inclusive:
        templates = ("incl. {label} {rate}", "{label} {rate} incl.", "{label} {rate}")
    else:
        templates = ("{label} {rate}", "{label} ({rate})", "{label}")
    # Chosen from the content itself, so a receipt says it the same way on every page.
    template = templates[(content.day.toordinal() + len(content.vendor)) % len(templates)]
    return template.format(label=content.tax_label, rate=_rate(content.tax_rate))


def _fitting(font: str, text: str, size: float, bold: bool, width: float) -> float:
    """`size`, or smaller so that `text` fits in `width` points (a printer shrinks a long
    name rather than cut it)."""
    length = _truetype(font, bold, 100).getlength(text) * size / 100
    return size if length <= width else size * width / length


# --- layouts -----------------------------------------------------------------------------
def _till(content: _Content, rng: random.Random, font: str) -> list[_Page]:
    width = 204.0  # 72 mm of print on an 80 mm roll
    size = rng.choice((7.5, 8.0, 8.5, 9.0))
    lead = size * 1.45
    page = _Page(width, 0, font)
    left, right, middle = 8.0, width - 8.0, width / 2
    y = 22.0
    if rng.random() < 0.25:
        page.text(middle, y, "WELCOME TO", size, align="center")
        y += lead
    name = content.vendor.upper() if rng.random() < 0.5 else content.vendor
    big = _fitting(font, name, size * rng.choice((1.4, 1.6, 1.8)), True, right - left)
    page.text(middle, y + size * 0.6, name, big, bold=True, align="center")
    y += lead * 2
    for line in (f"{rng.randint(1, 240)} {rng.choice(_STREETS)}", content.city):
        page.text(middle, y, line, size, align="center")
        y += lead
    if content.money.locale == "au":
        page.text(
            middle,
            y,
            f"ABN {rng.randint(10, 99)} {rng.randint(100, 999)} 245 118",
            size,
            align="center",
        )
        y += lead
    page.text(
        middle,
        y,
        f"Tel {rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
        size,
        align="center",
    )
    y += lead * 1.5
    when = f"{content.date()} {rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}"
    if rng.random() < 0.5:
        page.text(left, y, f"Date: {when}", size)
    else:
        page.text(left, y, when, size)
        page.text(right, y, f"#{content.number}", size, align="right")
    y += lead
    page.text(left, y, f"Till {rng.randint(1, 9)}  Cashier {rng.choice(_SURNAMES)}", size)
    y += lead * 0.6
    page.rule(left, y, right)
    y += lead
    for description, quantity, unit in content.items:
        if quantity > 1:
            page.text(left, y, f"{quantity} x {content.money.number(unit)}", size)
            y += lead
        page.text(left, y, description, size)
        page.text(right, y, content.money.number(quantity * unit), size, align="right")
        y += lead
    page.rule(left, y - lead * 0.4, right)
    y += lead * 0.4
    sign = content.money
    if content.tax is not None and not content.inclusive:
        page.text(left, y, rng.choice(("SUBTOTAL", "Subtotal", "Sub-total")), size)
        page.text(right, y, sign.number(content.subtotal), size, align="right")
        y += lead
        page.text(left, y, _tax_line(content), size)
        page.text(right, y, sign.number(content.tax), size, align="right")
        y += lead
    page.text(left, y + 2, content.total_label, size * 1.25, bold=True)
    page.text(right, y + 2, sign.money(content.total), size * 1.25, bold=True, align="right")
    y += lead * 1.6
    paid = content.total
    if rng.random() < 0.3 and content.money.code != "JPY":
        paid = (content.total / 10 + 1).quantize(Decimal(1)) * 10
        page.text(left, y, "CASH", size)
        page.text(right, y, sign.number(paid), size, align="right")
        y += lead
        page.text(left, y, "CHANGE", size)
        page.text(right, y, sign.number(paid - content.total), size, align="right")
    else:
        page.text(
            left,
            y,
            f"{rng.choice(('VISA', 'MASTERCARD', 'DEBIT'))} **** {rng.randint(1000, 9999)}",
            size,
        )
        page.text(right, y, sign.number(content.total), size, align="right")
    y += lead
    if content.tax is not None and content.inclusive:
        y += lead * 0.5
        page.text(left, y, _tax_line(content), size)
        page.text(right, y, sign.number(content.tax), size, align="right")
        y += lead
    y += lead
    for line in rng.sample(
        (
            "Thank you for shopping with us!",
            "Please keep your receipt",
            "Returns within 30 days",
            "See you again soon",
        ),
        2,
    ):
        page.text(middle, y, line, size, align="center")
        y += lead
    page.height = y + 24
    return [page]


def _header_block(
    page: _Page, x: float, y: float, lines: list[str], size: float, align: str = "left"
) -> float:
    for line in lines:
        page.text(x, y, line, size, align=align)
        y += size * 1.4
    return y


def _invoice(content: _Content, rng: random.Random, font: str, pages: int = 1) -> list[_Page]:
    width, height = 595.0, 842.0
    size = rng.choice((9.0, 10.0, 11.0))
    left, right = 56.0, width - 56.0
    first = _Page(width, height, font)
    first.text(left, 80, content.vendor, size * 1.9, bold=True)
    first.text(
        right,
        80,
        rng.choice(("INVOICE", "Invoice", "TAX INVOICE", "RECHNUNG")),
        size * 1.9,
        bold=True,
        align="right",
    )
    street = f"{rng.randint(1, 240)} {rng.choice(_STREETS)}"
    y = _header_block(
        first,
        left,
        108,
        [street, content.city, f"{content.vendor.split()[0].lower().strip(',')}.example"],
        size,
    )
    label = rng.choice(("Invoice date", "Date", "Date of issue", "Issued"))
    due = content.day + timedelta(days=rng.choice((14, 30)))
    _header_block(
        first,
        right,
        108,
        [
            f"Invoice no. {content.number}",
            f"{label}: {content.date()}",
            f"Due date: {content.date(due)}",
        ],
        size,
        align="right",
    )
    y += size * 1.5
    first.text(left, y, "Bill to", size, bold=True)
    customer = rng.choice(("Acme Robotics", "Northwind Traders", "Globex Studio", "Initech Labs"))
    y = _header_block(
        first,
        left,
        y + size * 1.4,
        [customer, f"{rng.randint(1, 99)} Park Avenue", rng.choice(sum(_CITIES.values(), ()))],
        size,
    )
    y += size * 2
    columns = (left, right - 190, right - 100, right)
    items = content.items
    pages_items = (
        [items]
        if pages == 1
        else [items[: max(1, len(items) // 2)], items[max(1, len(items) // 2) :]]
    )
    result = []
    for number, chunk in enumerate(pages_items):
        page = first if number == 0 else _Page(width, height, font)
        if number:
            page.text(left, 70, f"{content.vendor}  ·  Invoice {content.number}", size)
            page.text(right, 70, f"Page {number + 1} of {pages}", size, align="right")
            y = 110.0
        for title, x, align in zip(
            ("Description", "Qty", "Unit price", "Amount"),
            columns,
            ("left", "right", "right", "right"),
            strict=True,
        ):
            page.text(x, y, title, size, bold=True, align=align)
        page.rule(left, y + size * 0.5, right)
        y += size * 2
        for description, quantity, unit in chunk:
            page.text(left, y, description, size)
            page.text(columns[1], y, str(quantity), size, align="right")
            page.text(columns[2], y, content.money.number(unit), size, align="right")
            page.text(right, y, content.money.number(quantity * unit), size, align="right")
            y += size * 1.9
        result.append(page)
    page = result[-1]
    page.rule(left, y - size, right)
    y += size
    labels = right - 200
    if content.tax is not None:
        page.text(labels, y, rng.choice(_SUBTOTAL_LABELS), size)
        page.text(right, y, content.money.money(content.subtotal), size, align="right")
        y += size * 1.8
        page.text(labels, y, _tax_line(content), size)
        page.text(right, y, content.money.money(content.tax), size, align="right")
        y += size * 1.8
    page.text(labels, y, content.total_label, size * 1.15, bold=True)
    page.text(right, y, content.money.money(content.total), size * 1.15, bold=True, align="right")
    y += size * 4
    page.text(left, y, f"Please pay by {content.date(due)}. Thank you for your business.", size)
    page.text(
        left,
        height - 60,
        f"IBAN DE{rng.randint(10, 99)} 1002 0030 0400 {rng.randint(1000, 9999)} 00  ·  "
        f"VAT no. GB{rng.randint(100000000, 999999999)}",
        size * 0.85,
    )
    return result


def _saas(content: _Content, rng: random.Random, font: str) -> list[_Page]:
    width, height = (612.0, 792.0) if content.money.locale in ("us", "ca") else (595.0, 842.0)
    size = rng.choice((9.0, 10.0))
    left, right = 50.0, width - 50.0
    page = _Page(width, height, font)
    paid = content.total_label == "Amount paid"
    page.text(left, 72, "Receipt" if paid else "Invoice", size * 2.2, bold=True)
    lead = size * 1.5
    y = _header_block(
        page,
        left,
        110,
        [
            f"Invoice number  {content.number}-{rng.randint(1, 9):04d}",
            f"{'Date paid' if paid else 'Date of issue'}  {content.date()}",
        ]
        + (
            []
            if paid
            else [f"Date due  {content.date(content.day + timedelta(days=rng.choice((0, 7, 14))))}"]
        ),
        size,
    )
    y += lead
    page.text(left, y, content.vendor, size, bold=True)
    customer = rng.choice(("Jane Doe", "Acme Robotics", "Kai Tanaka", "Northwind Traders"))
    page.text(left + 230, y, "Bill to", size, bold=True)
    vendor_lines = [
        f"{rng.randint(1, 999)} {rng.choice(('Market Street', 'Mission St', 'Harbor Way'))}",
        content.city,
        f"billing@{content.vendor.split()[0].lower().strip(',.')}.example",
    ]
    _header_block(page, left + 230, y + lead, [customer, "accounts@customer.example"], size)
    y = _header_block(page, left, y + lead, vendor_lines, size)
    y += lead
    headline = (
        f"{content.money.money(content.total)} {'paid on' if paid else 'due'} {content.date()}"
    )
    page.text(left, y, headline, size * 1.6, bold=True)
    y += lead * 2.5
    columns = (left, right - 180, right - 90, right)
    for title, x, align in zip(
        ("Description", "Qty", "Unit price", "Amount"),
        columns,
        ("left", "right", "right", "right"),
        strict=True,
    ):
        page.text(x, y, title, size * 0.9, align=align)
    page.rule(left, y + size * 0.5, right)
    y += lead * 1.4
    end = content.day + timedelta(days=30)
    start = content.date()
    if content.date_style.startswith(
        "mon"
    ):  # "Jan 15 - Feb 14, 2026" (an en dash), as Stripe writes it
        start = start.rsplit(",", 1)[0]
    period = f"{start} \u2013 {content.date(end)}"
    for description, quantity, unit in content.items:
        page.text(left, y, description, size)
        page.text(columns[1], y, str(quantity), size, align="right")
        page.text(columns[2], y, content.money.money(unit), size, align="right")
        page.text(right, y, content.money.money(quantity * unit), size, align="right")
        y += lead
        page.text(left, y, period, size * 0.85)
        y += lead * 1.3
    page.rule(right - 250, y - lead * 0.6, right)
    labels = right - 250
    rows = [("Subtotal", content.subtotal)]
    if content.tax is not None:
        rows.append((_tax_line(content), content.tax))
    rows += (
        [("Total", content.total), (content.total_label, content.total)]
        if content.total_label != "Total"
        else [("Total", content.total)]
    )
    for label, amount in rows:
        bold = label == content.total_label
        page.text(labels, y, label, size, bold=bold)
        page.text(right, y, content.money.money(amount), size, bold=bold, align="right")
        y += lead
    page.text(
        left,
        height - 60,
        f"Questions? Contact {content.vendor} at support@example.com",
        size * 0.85,
    )
    return [page]


# --- drawing -------------------------------------------------------------------------------
@cache
def _truetype(family: str, bold: bool, pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(f"{_FONTS_DIR}/{FONTS[family][bold]}", pixels)


def _image(page: _Page, dpi: float) -> Image.Image:
    scale = dpi / 72
    image = Image.new("L", (round(page.width * scale), round(page.height * scale)), 255)
    draw = ImageDraw.Draw(image)
    for x1, y1, x2, y2 in page.rules:
        draw.line(
            (x1 * scale, y1 * scale, x2 * scale, y2 * scale),
            fill=40,
            width=max(1, round(scale * 0.6)),
        )
    for text in page.texts:
        font = _truetype(page.font, text.bold, max(6, round(text.size * scale)))
        anchor = {"left": "ls", "right": "rs", "center": "ms"}[text.align]
        draw.text((text.x * scale, text.y * scale), text.text, font=font, fill=20, anchor=anchor)
    return image


def _pdf(pages: list[_Page], images: dict[int, Image.Image] | None = None) -> bytes:
    """A PDF with a text layer; pages in `images` are placed as pictures (scans) instead."""
    pdf = FPDF(unit="pt", format=(pages[0].width, pages[0].height))
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    for family in {page.font for page in pages}:
        regular, bold = FONTS[family]
        pdf.add_font(family, "", f"{_FONTS_DIR}/{regular}")
        pdf.add_font(family, "B", f"{_FONTS_DIR}/{bold}")
    for number, page in enumerate(pages):
        pdf.add_page(format=(page.width, page.height))
        if images and number in images:
            buffer = io.BytesIO()
            images[number].save(buffer, "PNG")
            pdf.image(buffer, x=0, y=0, w=page.width, h=page.height)
            continue
        pdf.set_line_width(0.6)
        for x1, y1, x2, y2 in page.rules:
            pdf.line(x1, y1, x2, y2)
        for text in page.texts:
            pdf.set_font(page.font, "B" if text.bold else "", text.size)
            width = pdf.get_string_width(text.text)
            x = {"left": text.x, "right": text.x - width, "center": text.x - width / 2}[text.align]
            pdf.text(x, text.y, text.text)
    return bytes(pdf.output())


# --- degradation ---------------------------------------------------------------------------
def _noise(rng: random.Random, size: tuple[int, int], sigma: float) -> Image.Image:
    """Gaussian noise centred on 128, from the seeded generator (Pillow's effect_noise
    cannot be seeded): uniform bytes mapped through the normal quantile function."""
    normal = statistics.NormalDist(128, sigma)
    table = [max(0, min(255, round(normal.inv_cdf((i + 0.5) / 256)))) for i in range(256)]
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1])).point(table)


def _degraded(image: Image.Image, degradation: str, rng: random.Random) -> tuple[Image.Image, int]:
    """The degraded image and the JPEG quality it should be saved with (0: any)."""
    quality = 0
    if degradation in ("skew", "photo"):
        angle = rng.uniform(1, 4) * rng.choice((-1, 1))
        image = image.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if degradation == "photo":
        light = Image.linear_gradient("L").resize(image.size).point(lambda v: 190 + v // 4)
        if rng.random() < 0.5:
            light = light.transpose(Image.Transpose.ROTATE_180)
        image = ImageChops.multiply(image, light)
    if degradation in ("blur", "photo"):
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.1)))
    if degradation in ("noise", "photo"):
        image = ImageChops.add(image, _noise(rng, image.size, rng.uniform(12, 28)), 1, -128)
    if degradation in ("jpeg", "photo"):
        quality = rng.randint(25, 45)
    return image, quality


def _encoded(image: Image.Image, output: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    if output == "jpeg":
        image.save(buffer, "JPEG", quality=quality or 88)
    elif output == "webp":
        image.save(buffer, "WEBP", quality=quality or 85)
    elif output == "tiff":
        image.save(buffer, "TIFF", compression="tiff_deflate")
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


def _scan_quality(image: Image.Image, quality: int) -> Image.Image:
    if not quality:
        return image
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


def receipt_sample(
    seed: int,
    *,
    layout: str | None = None,
    font: str | None = None,
    currency: str | None = None,
    output: str | None = None,
    degradation: str | None = None,
    dpi: int | None = None,
) -> Sample:
    """The receipt of `seed`; any choice not given is made by the seed."""
    rng = random.Random(seed)
    layout = layout or rng.choice(LAYOUTS)
    currency = currency or rng.choice(
        ("USD", "USD", "EUR", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD")
    )
    font = font or rng.choice(_TILL_FONTS if layout == "till" else _PAGE_FONTS)
    output = output or rng.choice(OUTPUTS)
    degradation = degradation or rng.choice(DEGRADATIONS)
    if output == "pdf":
        degradation = "none"  # a text layer is exact
    content = _content(rng, layout, currency)
    if layout == "till":
        pages = _till(content, rng, font)
    elif layout == "invoice":
        pages = _invoice(content, rng, font, pages=2 if output == "pdf-mixed" else 1)
    else:
        pages = _saas(content, rng, font)
    dpi = dpi or (203 if layout == "till" else rng.choice((150, 200, 300)))
    truth = Truth(content.truth_vendor, content.day, content.total, content.money.code, content.tax)

    def raster(page: _Page) -> tuple[Image.Image, int]:
        return _degraded(_image(page, dpi), degradation, rng)

    text_pages = len(pages)
    if output == "pdf":
        data, content_type = _pdf(pages), "application/pdf"
    elif output == "pdf-mixed":
        if len(pages) == 1:  # a single-page receipt with a scanned attachment after it
            pages.append(_attachment(content, font))
        image, quality = raster(pages[-1])
        data = _pdf(pages, {len(pages) - 1: _scan_quality(image, quality)})
        content_type, text_pages = "application/pdf", len(pages) - 1
    elif output == "pdf-scan":
        image, quality = raster(pages[0])
        buffer = io.BytesIO()
        _scan_quality(image, quality).save(buffer, "PDF", resolution=dpi)
        data, content_type, text_pages = buffer.getvalue(), "application/pdf", 0
    else:
        image, quality = raster(pages[0])
        data, content_type, text_pages = _encoded(image, output, quality), CONTENT_TYPES[output], 0
    return Sample(
        data, content_type, truth, layout, font, output, degradation, len(pages), text_pages
    )


def _attachment(content: _Content, font: str) -> _Page:
    """A second, scanned page: the card-terminal slip stapled to the bill."""
    page = _Page(595.0, 842.0, font)
    lines = [
        "CARD PAYMENT",
        content.vendor,
        content.date(),
        "SALE",
        content.money.money(content.total),
        "APPROVED",
    ]
    for index, line in enumerate(lines):
        page.text(297.5, 120 + index * 22, line, 12, align="center", bold=index == 0)
    return page


def receipt_samples(count: int, seed: int = 0) -> list[Sample]:
    """`count` receipts cycling through the layouts, outputs and degradations, the rest of
    each chosen by its own seed."""
    samples = []
    for index in range(count):
        layout = LAYOUTS[index % len(LAYOUTS)]
        output = OUTPUTS[(index // len(LAYOUTS)) % len(OUTPUTS)]
        degradation = DEGRADATIONS[(index // (len(LAYOUTS) * len(OUTPUTS))) % len(DEGRADATIONS)]
        samples.append(
            receipt_sample(
                seed * 100_000 + index, layout=layout, output=output, degradation=degradation
            )
        )
    return samples
