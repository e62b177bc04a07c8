"""What a rendered receipt says: who sold what, when, for how much, in which currency and
with which tax, written the way its country writes money and dates."""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Money:
    code: str
    sign: str  # "$", " €", "CHF " ...
    suffix: bool
    style: str  # us 1,234.56 | eu 1.234,56 | fr 1 234,56 | ch 1'234.50 | jp 12,800
    locale: str  # us, uk, de, fr, ch, jp, ca, au, ie

    def number(self, amount: Decimal) -> str:
        places = Decimal(1) if self.style == "jp" else Decimal("0.01")
        text = f"{abs(amount).quantize(places, ROUND_HALF_UP):f}"
        whole, _, cents = text.partition(".")
        group = {"us": ",", "jp": ",", "eu": ".", "fr": " ", "ch": "'"}[self.style]
        digits = []
        for index, digit in enumerate(reversed(whole)):
            if index and index % 3 == 0:
                digits.append(group)
            digits.append(digit)
        number = "".join(reversed(digits))
        if cents:
            number += ("," if self.style in ("eu", "fr") else ".") + cents
        return f"-{number}" if amount < 0 else number

    def money(self, amount: Decimal) -> str:
        number = self.number(amount)
        return f"{number}{self.sign}" if self.suffix else f"{self.sign}{number}"


MONIES = {
    "USD": [Money("USD", "$", False, "us", "us")],
    "EUR": [
        Money("EUR", " €", True, "eu", "de"),
        Money("EUR", " €", True, "fr", "fr"),
        Money("EUR", "€", False, "us", "ie"),
        Money("EUR", "EUR ", False, "eu", "de"),
    ],
    "GBP": [Money("GBP", "£", False, "us", "uk")],
    "JPY": [Money("JPY", "¥", False, "jp", "jp"), Money("JPY", "JPY ", False, "jp", "jp")],
    "CHF": [Money("CHF", "CHF ", False, "ch", "ch"), Money("CHF", "CHF ", False, "us", "ch")],
    "CAD": [Money("CAD", "CA$", False, "us", "ca"), Money("CAD", "$", False, "us", "ca")],
    "AUD": [Money("AUD", "A$", False, "us", "au"), Money("AUD", "$", False, "us", "au")],
}
CURRENCIES = tuple(MONIES)
MONTHS = (
    *("January", "February", "March", "April", "May", "June", "July", "August"),
    *("September", "October", "November", "December"),
)


def date_text(day: date, style: str) -> str:
    month = MONTHS[day.month - 1]
    return {
        "iso": day.isoformat(),
        "dmy/": f"{day:%d/%m/%Y}",
        "mdy/": f"{day:%m/%d/%Y}",
        "dmy.": f"{day:%d.%m.%Y}",
        "dmy-": f"{day:%d-%m-%Y}",
        "ymd/": f"{day:%Y/%m/%d}",
        "dmy/2": f"{day:%d/%m/%y}",
        "mdy/2": f"{day:%m/%d/%y}",
        "d mon y": f"{day.day} {month[:3]} {day.year}",
        "d month y": f"{day.day} {month} {day.year}",
        "mon d, y": f"{month[:3]} {day.day}, {day.year}",
        "month d, y": f"{month} {day.day}, {day.year}",
        "d-mon-y": f"{day:%d}-{month[:3]}-{day.year}",
        "dow d mon y": f"{day:%a} {day.day} {month[:3]} {day.year}",
    }[style]


# Date styles by where the receipt is from: month first only in the US.
DATE_STYLES = {
    "us": ("mdy/", "mdy/", "mon d, y", "month d, y", "iso", "mdy/2"),
    "uk": ("dmy/", "d mon y", "d month y", "iso", "d-mon-y", "dmy/2", "dow d mon y"),
    "ie": ("dmy/", "d month y", "d mon y", "dmy-"),
    "au": ("dmy/", "d mon y", "iso", "dmy/2"),
    "de": ("dmy.", "dmy.", "iso", "d month y"),
    "ch": ("dmy.", "iso"),
    "fr": ("dmy/", "dmy.", "d month y", "dmy-"),
    "jp": ("ymd/", "iso"),
    "ca": ("iso", "mon d, y", "month d, y"),
}
TAXES = {  # locale: (label, rate), ...
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
SECOND_RATE = {"de": "7", "fr": "5.5", "jp": "8"}  # food next to other goods on one slip
INCLUSIVE = {"uk", "ie", "au", "de", "ch", "fr", "jp"}  # shop prices include the tax
TOTAL_LABELS = {
    "till": ("TOTAL", "Total", "TOTAL DUE", "BALANCE DUE", "Amount due", "GRAND TOTAL", "TOTAL"),
    "invoice": ("Total", "TOTAL", "Total due", "Amount due", "Invoice total", "Grand total"),
    "saas": ("Total", "Amount due", "Amount paid"),
}
LOCAL_TOTALS = {"de": ("SUMME", "Gesamtbetrag"), "fr": ("TOTAL TTC", "Net à payer")}
SUBTOTAL_LABELS = ("Subtotal", "SUBTOTAL", "Sub-total", "Net amount", "Total excl. tax")

# (label the service is booked under, name on the bill, products)
SERVICES = (
    ("OpenAI", "OpenAI, LLC", ("ChatGPT Plus subscription", "API usage gpt-4o", "Team seat")),
    ("Anthropic", "Anthropic, PBC", ("Claude Pro", "API usage claude-sonnet", "Team seat")),
    ("Vercel", "Vercel Inc.", ("Pro plan", "Bandwidth 100 GB", "Function invocations")),
    ("GitHub", "GitHub, Inc.", ("Copilot Business seat", "Team plan", "Actions minutes")),
    ("Supabase", "Supabase, Inc.", ("Pro plan", "Compute add-on", "Database egress")),
    ("Cursor", "Anysphere, Inc.", ("Cursor Pro", "Business seat", "Usage-based requests")),
    ("Replit", "Replit, Inc.", ("Replit Core", "Deployments", "Agent checkpoints")),
    ("AWS", "Amazon Web Services, Inc.", ("Amazon Bedrock", "EC2 instances", "S3 storage")),
    ("Google Cloud", "Google Cloud EMEA Limited", ("Vertex AI", "Compute Engine", "Cloud Run")),
    ("Lovable", "Lovable Labs", ("Pro plan", "Extra credits")),
)
OTHER_SOFTWARE = (
    ("Linear Orbit, Inc.", ("Business plan", "Seats")),
    ("Notion Labs, Inc.", ("Plus plan", "AI add-on")),
    ("Figma, Inc.", ("Professional seat", "Dev Mode")),
    ("Sentry", ("Team plan", "Error events")),
    ("Fly.io", ("Machines", "Volumes", "Bandwidth")),
    ("Postmark", ("10k emails", "Dedicated IP")),
    ("1Password", ("Business seats",)),
    ("Hetzner Online GmbH", ("Cloud server CX22", "Backups")),
)
SURNAMES = (
    *("Hartley", "Murphy", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Rossi", "Schmidt"),
    *("Kowalski", "Dubois", "Patel", "Nakamura", "Weber", "O'Brien", "Silva", "Jensen"),
    *("Fischer", "Garcia", "Novak", "Brennan", "Costa", "Larsen", "Meyer"),
)
TRADES = {
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
PLACES = (
    *("Copper Kettle", "Blue Door", "Green Leaf", "Old Mill", "Northside", "Harbour"),
    *("Red Lantern", "Silver Birch", "Riverside", "Corner", "Golden Fork", "Union Square"),
)
SHOPS = (  # name, trade
    *(("Tesco Express", "Market"), ("Pret A Manger", "Coffee"), ("Staples", "Stationers")),
    *(("Whole Foods Market", "Market"), ("Walgreens", "Pharmacy"), ("FamilyMart", "Market")),
    *(("Migros", "Market"), ("Monoprix", "Market"), ("Shoppers Drug Mart", "Pharmacy")),
    *(("Woolworths", "Market"), ("Rewe Markt", "Market"), ("7-Eleven", "Market")),
    *(("Café Lumière", "Coffee"), ("Bäckerei Hoffmann", "Bakery"), ("Boots", "Pharmacy")),
    *(("Boulangerie Dupont", "Bakery"), ("Smith & Sons Hardware", "Hardware")),
    *(("Joe's Diner", "Kitchen"), ("Trattoria Da Mario", "Kitchen"), ("Lawson", "Market")),
    *(("Kiosk 24", "Market"), ("Hôtel du Parc", "Kitchen"), ("Zara Home", "Market")),
)
SUFFIXES = ("Ltd", "GmbH", "LLC", "B.V.", "S.A.R.L.", "& Co.", "Inc.", "Pty Ltd", "AG")
STREETS = ("High Street", "Market Square", "Main St", "Bahnhofstrasse", "Rue de la Paix")
CITIES = {
    "us": ("Portland, OR 97205", "Austin, TX 78701", "Brooklyn, NY 11201"),
    "uk": ("Leeds LS1 4AP", "Bristol BS1 5TR", "London EC2A 4NE"),
    "ie": ("Dublin 2", "Cork T12 X8K2"),
    "au": ("Sydney NSW 2000", "Melbourne VIC 3000", "Brisbane QLD 4000"),
    "de": ("10115 Berlin", "80331 München", "20095 Hamburg"),
    "ch": ("8001 Zürich", "3011 Bern"),
    "fr": ("75008 Paris", "69002 Lyon"),
    "jp": ("Shibuya, Tokyo 150-0002", "Osaka 530-0001"),
    "ca": ("Toronto, ON M5V 2T6", "Vancouver, BC V6B 1A1", "Montréal, QC H2Y 1C6"),
}


@dataclass(frozen=True)
class Content:
    vendor: str  # as printed
    truth_vendor: str  # what reading it should give: the service's name for the 13
    trade: str
    money: Money
    day: date
    date_style: str
    items: list[tuple[str, int, Decimal]]  # description, quantity, unit price
    tax_label: str | None
    taxes: list[tuple[Decimal, Decimal]]  # (rate, amount), one per rate
    inclusive: bool
    total_label: str
    subtotal: Decimal
    tip: Decimal | None
    total: Decimal
    city: str
    number: str

    @property
    def tax(self) -> Decimal | None:
        return sum((amount for _rate, amount in self.taxes), Decimal(0)) if self.taxes else None

    def date(self, day: date | None = None) -> str:
        return date_text(day or self.day, self.date_style)

    def tax_line(self, rate: Decimal) -> str:
        """How the tax at `rate` is labelled, the same way on every line of one receipt."""
        if self.inclusive:
            templates = ("incl. {label} {rate}", "{label} {rate} incl.", "{label} {rate}")
        else:
            templates = ("{label} {rate}", "{label} ({rate})", "{label}")
        if len(self.taxes) > 1:
            templates = ("{label} {rate}",)
        template = templates[(self.day.toordinal() + len(self.vendor)) % len(templates)]
        return template.format(label=self.tax_label, rate=f"{rate.normalize():f}%")


def _shop(rng: random.Random) -> tuple[str, str]:
    kind = rng.random()
    if kind < 0.3:
        return rng.choice(SHOPS)
    trade = rng.choice(list(TRADES))
    if kind < 0.6:
        return f"{rng.choice(SURNAMES)} {trade}", trade
    if kind < 0.85:
        return f"{rng.choice(PLACES)} {trade}", trade
    return f"The {rng.choice(PLACES)}", trade


def content_make(rng: random.Random, layout: str, currency: str) -> Content:
    money = rng.choice(MONIES[currency])
    if layout == "saas" and money.sign == "$" and currency != "USD":
        money = MONIES[currency][0]  # billing services write A$, CA$ beside their dollars
    locale = money.locale
    if layout == "saas":
        if rng.random() < 0.7:
            truth, vendor, products = rng.choice(SERVICES)
        else:
            vendor, products = rng.choice(OTHER_SOFTWARE)
            truth = vendor
        trade = "Software"
    else:
        vendor, trade = _shop(rng)
        products = TRADES[trade]
        if layout == "invoice" and rng.random() < 0.7:
            vendor = f"{vendor} {rng.choice(SUFFIXES)}"
        truth = vendor
    scale = Decimal(150) if currency == "JPY" else Decimal(1)
    places = Decimal(1) if currency == "JPY" else Decimal("0.01")
    high = {"till": 40, "invoice": 2400, "saas": 900}[layout]
    items = []
    for description in rng.sample(products, min(len(products), rng.randint(1, 5))):
        unit = (Decimal(str(round(rng.uniform(0.8, high), 2))) * scale).quantize(places)
        items.append((description, rng.choice((1, 1, 1, 2, 3)), unit))
    lines = [quantity * unit for _, quantity, unit in items]
    label, rate = rng.choice(TAXES[locale])
    inclusive = locale in INCLUSIVE and layout == "till"
    groups = [(Decimal(rate), lines)]
    if inclusive and locale in SECOND_RATE and len(lines) > 1 and rng.random() < 0.4:
        groups = [(Decimal(rate), lines[:1]), (Decimal(SECOND_RATE[locale]), lines[1:])]
    taxes = []
    if rng.random() < 0.85:
        for group_rate, amounts in groups:
            base = sum(amounts, Decimal(0))
            divisor = 100 + group_rate if inclusive else Decimal(100)
            taxes.append(
                (group_rate, (base * group_rate / divisor).quantize(places, ROUND_HALF_UP))
            )
    tax = sum((amount for _r, amount in taxes), Decimal(0))
    gross = sum(lines, Decimal(0))
    subtotal = gross - tax if inclusive else gross
    tip = None
    if layout == "till" and trade == "Kitchen" and locale in ("us", "ca") and rng.random() < 0.7:
        tip = (subtotal * rng.choice((15, 18, 20)) / 100).quantize(places, ROUND_HALF_UP)
    total = gross if inclusive else gross + tax
    total += tip or 0
    labels = TOTAL_LABELS[layout] + (LOCAL_TOTALS.get(locale, ()) if layout == "till" else ())
    styles = DATE_STYLES[locale]
    if layout == "saas":
        styles = ("month d, y", "mon d, y") if locale in ("us", "ca") else ("d month y", "d mon y")
    return Content(
        vendor=vendor,
        truth_vendor=truth,
        trade=trade,
        money=money,
        day=date(2025, 1, 1) + timedelta(days=rng.randrange(690)),
        date_style=rng.choice(styles),
        items=items,
        tax_label=label if taxes else None,
        taxes=taxes,
        inclusive=inclusive,
        total_label=rng.choice(labels),
        subtotal=subtotal,
        tip=tip,
        total=total,
        city=rng.choice(CITIES[locale]),
        number=f"{rng.choice(('INV', 'A', 'R', ''))}{rng.randint(1000, 99999)}",
    )
