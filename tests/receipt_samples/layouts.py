"""The layouts a receipt is printed in, each with its variants: a till slip (a shop's, a
restaurant's), an A4 invoice (three letterheads, one or two pages) and a software bill
(an invoice or a card receipt, as Stripe and the clouds send them)."""

import random
from datetime import timedelta
from decimal import Decimal

from .content import CITIES, STREETS, SUBTOTAL_LABELS, SURNAMES, Content
from .drawing import Page, fitting

CUSTOMERS = ("Acme Robotics", "Northwind Traders", "Globex Studio", "Initech Labs", "Jane Doe")
GOODBYES = (
    "Thank you for shopping with us!",
    "Please keep your receipt",
    "Returns within 30 days",
    "See you again soon",
    "Vielen Dank für Ihren Einkauf",
    "Merci de votre visite",
)


def _lines(page: Page, x: float, y: float, lines: list[str], size: float, **style: object) -> float:
    for line in lines:
        page.text(x, y, line, size, **style)
        y += size * 1.4
    return y


def till(content: Content, rng: random.Random, font: str) -> list[Page]:
    width = 204.0  # 72 mm of print on an 80 mm roll
    size = rng.choice((7.5, 8.0, 8.5, 9.0))
    lead = size * 1.45
    page = Page(width, 0, font)
    left, right, middle = 8.0, width - 8.0, width / 2
    money = content.money
    y = 22.0
    if rng.random() < 0.2:
        page.text(middle, y, rng.choice(("WELCOME TO", "*** WELCOME ***")), size, align="center")
        y += lead
    name = content.vendor.upper() if rng.random() < 0.5 else content.vendor
    big = fitting(font, name, size * rng.choice((1.3, 1.6, 1.9)), True, right - left)
    page.text(middle, y + size * 0.6, name, big, bold=True, align="center")
    y += lead * 2
    header = [f"{rng.randint(1, 240)} {rng.choice(STREETS)}", content.city]
    if money.locale == "au":
        header.append(f"ABN {rng.randint(10, 99)} {rng.randint(100, 999)} 245 118")
    if rng.random() < 0.7:
        header.append(
            f"Tel {rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
        )
    if rng.random() < 0.3:
        header.append(f"Store {rng.randint(100, 9999):04d}")
    y = _lines(page, middle, y, header, size, align="center") + lead * 0.5
    when = f"{content.date()} {rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}"
    date_at_top = rng.random() < 0.75
    if date_at_top and rng.random() < 0.5:
        page.text(left, y, f"{rng.choice(('Date:', 'Date', 'DATE'))} {when}", size)
        y += lead
    elif date_at_top:
        page.row(left, right, y, when, f"#{content.number}", size)
        y += lead
    if content.trade == "Kitchen":
        page.row(left, right, y, f"Table {rng.randint(1, 40)}", f"Guests {rng.randint(1, 6)}", size)
        y += lead
        page.text(left, y, f"Server: {rng.choice(SURNAMES)}", size)
    else:
        page.text(left, y, f"Till {rng.randint(1, 9)}  Cashier {rng.choice(SURNAMES)}", size)
    y += lead * 0.6
    page.rule(left, y, right)
    y += lead
    for description, quantity, unit in content.items:
        if quantity > 1:
            page.text(left, y, f"{quantity} x {money.number(unit)}", size)
            y += lead
        page.row(left, right, y, description, money.number(quantity * unit), size)
        y += lead
    page.rule(left, y - lead * 0.4, right)
    y += lead * 0.4
    if content.taxes and not content.inclusive:
        page.row(left, right, y, rng.choice(("SUBTOTAL", "Subtotal", "Sub-total")),
                 money.number(content.subtotal), size)  # fmt: skip
        y += lead
        for rate, amount in content.taxes:
            page.row(left, right, y, content.tax_line(rate), money.number(amount), size)
            y += lead
    if content.tip is not None:
        page.row(left, right, y, "Tip", money.number(content.tip), size)
        y += lead
    page.row(left, right, y + 2, content.total_label, money.money(content.total), size * 1.25, True)
    y += lead * 1.6
    if rng.random() < 0.3 and money.code != "JPY":
        paid = (content.total / 10 + 1).quantize(Decimal(1)) * 10
        page.row(left, right, y, "CASH", money.number(paid), size)
        y += lead
        page.row(left, right, y, "CHANGE", money.number(paid - content.total), size)
    else:
        card = (
            f"{rng.choice(('VISA', 'MASTERCARD', 'DEBIT', 'AMEX'))} **** {rng.randint(1000, 9999)}"
        )
        page.row(left, right, y, card, money.number(content.total), size)
    y += lead
    if content.taxes and content.inclusive:
        y += lead * 0.5
        for rate, amount in content.taxes:
            page.row(left, right, y, content.tax_line(rate), money.number(amount), size)
            y += lead
    if rng.random() < 0.25:
        saved = (content.total * Decimal("0.07")).quantize(Decimal("0.01"))
        page.text(left, y, f"You saved {money.money(saved)} today", size)
        y += lead
    if not date_at_top:
        page.row(left, right, y, when, f"#{content.number}", size)
        y += lead
    y += lead
    y = _lines(page, middle, y, rng.sample(GOODBYES[:4], 2), size, align="center")
    page.height = y + 24
    return [page]


def invoice(content: Content, rng: random.Random, font: str, pages: int = 1) -> list[Page]:
    width, height = 595.0, 842.0
    size = rng.choice((9.0, 10.0, 11.0))
    left, right = 56.0, width - 56.0
    money = content.money
    first = Page(width, height, font)
    title = rng.choice(("INVOICE", "Invoice", "TAX INVOICE", "RECHNUNG", "FACTURE"))
    address = [
        f"{rng.randint(1, 240)} {rng.choice(STREETS)}",
        content.city,
        f"{content.vendor.split()[0].lower().strip(',')}.example",
    ]
    due = content.day + timedelta(days=rng.choice((14, 30)))
    label = rng.choice(("Invoice date", "Date", "Date of issue", "Issued", "Invoice Date"))
    facts = [
        f"Invoice no. {content.number}",
        f"{label}: {content.date()}",
        f"Due date: {content.date(due)}",
    ]
    letterhead = rng.choice(("left", "title", "centred"))
    if letterhead == "left":  # the name on the left, the title on the right
        first.text(left, 80, content.vendor, size * 1.9, bold=True)
        first.text(right, 80, title, size * 1.9, bold=True, align="right")
        y = _lines(first, left, 108, address, size)
        _lines(first, right, 108, facts, size, align="right")
    elif letterhead == "title":  # the title first, the vendor's block on the right
        first.text(left, 80, title, size * 2.2, bold=True)
        first.text(right, 80, content.vendor, size * 1.4, bold=True, align="right")
        _lines(first, right, 100, address, size, align="right")
        y = _lines(first, left, 112, facts, size)
    else:  # centred letterhead over a rule
        name = fitting(font, content.vendor, size * 2.2, True, right - left)
        first.text(width / 2, 78, content.vendor, name, bold=True, align="center")
        first.text(width / 2, 98, "  ·  ".join(address), size * 0.9, align="center")
        first.rule(left, 108, right)
        first.text(left, 134, title, size * 1.5, bold=True)
        y = _lines(first, right, 134, facts, size, align="right")
    y += size * 1.5
    first.text(left, y, rng.choice(("Bill to", "Billed to", "Customer")), size, bold=True)
    customer = [rng.choice(CUSTOMERS), f"{rng.randint(1, 99)} Park Avenue"]
    customer.append(rng.choice(sum(CITIES.values(), ())))
    y = _lines(first, left, y + size * 1.4, customer, size) + size * 2
    columns = (left, right - 190, right - 100, right)
    half = max(1, len(content.items) // 2)
    chunks = [content.items] if pages == 1 else [content.items[:half], content.items[half:]]
    result = []
    for number, chunk in enumerate(chunks):
        page = first if number == 0 else Page(width, height, font)
        if number:
            page.row(left, right, 70, f"{content.vendor}  ·  Invoice {content.number}",
                     f"Page {number + 1} of {pages}", size)  # fmt: skip
            y = 110.0
        for head, x, align in zip(("Description", "Qty", "Unit price", "Amount"), columns,
                                  ("left", "right", "right", "right"), strict=True):  # fmt: skip
            page.text(x, y, head, size, bold=True, align=align)
        page.rule(left, y + size * 0.5, right)
        y += size * 2
        for description, quantity, unit in chunk:
            page.text(left, y, description, size)
            page.text(columns[1], y, str(quantity), size, align="right")
            page.text(columns[2], y, money.number(unit), size, align="right")
            page.text(right, y, money.number(quantity * unit), size, align="right")
            y += size * 1.9
        result.append(page)
    page = result[-1]
    page.rule(left, y - size, right)
    y += size
    labels = right - 200
    if content.taxes:
        page.row(labels, right, y, rng.choice(SUBTOTAL_LABELS), money.money(content.subtotal), size)
        y += size * 1.8
        for rate, amount in content.taxes:
            page.row(labels, right, y, content.tax_line(rate), money.money(amount), size)
            y += size * 1.8
    page.row(labels, right, y, content.total_label, money.money(content.total), size * 1.15, True)
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


def software_bill(content: Content, rng: random.Random, font: str) -> list[Page]:
    """An invoice or a card receipt from a software service, laid out as Stripe's are."""
    width, height = (612.0, 792.0) if content.money.locale in ("us", "ca") else (595.0, 842.0)
    size = rng.choice((9.0, 10.0))
    left, right = 50.0, width - 50.0
    lead = size * 1.5
    money = content.money
    page = Page(width, height, font)
    paid = content.total_label == "Amount paid"
    if paid and rng.random() < 0.5:  # the card receipt: "Receipt from Vercel Inc."
        page.text(left, 72, f"Receipt from {content.vendor}", size * 1.8, bold=True)
        y = _lines(
            page, left, 104, [f"Receipt #{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"], size
        )
        y += lead * 0.5
        card = f"{rng.choice(('Visa', 'Mastercard', 'Amex'))} - {rng.randint(1000, 9999)}"
        for head, value in (
            ("Amount paid", money.money(content.total)),
            ("Date paid", content.date()),
            ("Payment method", card),
        ):
            page.text(left, y, head.upper(), size * 0.8)
            page.text(left, y + lead, value, size, bold=True)
            y += lead * 2.6
        page.text(left, y, "SUMMARY", size * 0.8)
        y += lead * 1.2
        for description, quantity, unit in content.items:
            page.row(
                left,
                right,
                y,
                f"{description} \u00d7 {quantity}",
                money.money(quantity * unit),
                size,
            )
            y += lead
        page.rule(left, y - lead * 0.5, right)
        rows = [("Subtotal", content.subtotal)]
        rows += [(content.tax_line(rate), amount) for rate, amount in content.taxes]
        rows.append(("Amount charged", content.total))
        for label, amount in rows:
            page.row(
                left, right, y + lead * 0.3, label, money.money(amount), size, label == rows[-1][0]
            )
            y += lead
        page.text(left, height - 60, f"{content.vendor} · {content.city}", size * 0.85)
        return [page]
    page.text(left, 72, "Receipt" if paid else "Invoice", size * 2.2, bold=True)
    facts = [
        f"Invoice number  {content.number}-{rng.randint(1, 9):04d}",
        f"{'Date paid' if paid else 'Date of issue'}  {content.date()}",
    ]
    if not paid:
        facts.append(
            f"Date due  {content.date(content.day + timedelta(days=rng.choice((0, 7, 14))))}"
        )
    y = _lines(page, left, 110, facts, size) + lead
    page.text(left, y, content.vendor, size, bold=True)
    page.text(left + 230, y, "Bill to", size, bold=True)
    vendor_lines = [
        f"{rng.randint(1, 999)} {rng.choice(('Market Street', 'Mission St', 'Harbor Way'))}",
        content.city,
        f"billing@{content.vendor.split()[0].lower().strip(',.')}.example",
    ]
    _lines(page, left + 230, y + lead, [rng.choice(CUSTOMERS), "accounts@customer.example"], size)
    y = _lines(page, left, y + lead, vendor_lines, size) + lead
    headline = f"{money.money(content.total)} {'paid on' if paid else 'due'} {content.date()}"
    page.text(left, y, headline, size * 1.6, bold=True)
    y += lead * 2.5
    columns = (left, right - 180, right - 90, right)
    for head, x, align in zip(("Description", "Qty", "Unit price", "Amount"), columns,
                              ("left", "right", "right", "right"), strict=True):  # fmt: skip
        page.text(x, y, head, size * 0.9, align=align)
    page.rule(left, y + size * 0.5, right)
    y += lead * 1.4
    start = content.date()
    if content.date_style.startswith("mon"):  # "Jan 15 - Feb 14, 2026" (an en dash)
        start = start.rsplit(",", 1)[0]
    period = f"{start} \u2013 {content.date(content.day + timedelta(days=30))}"
    for description, quantity, unit in content.items:
        page.text(left, y, description, size)
        page.text(columns[1], y, str(quantity), size, align="right")
        page.text(columns[2], y, money.money(unit), size, align="right")
        page.text(right, y, money.money(quantity * unit), size, align="right")
        page.text(left, y + lead, period, size * 0.85)
        y += lead * 2.3
    page.rule(right - 250, y - lead * 0.6, right)
    rows = [("Subtotal", content.subtotal)]
    rows += [(content.tax_line(rate), amount) for rate, amount in content.taxes]
    rows.append(("Total", content.total))
    if content.total_label != "Total":
        rows.append((content.total_label, content.total))
    for label, amount in rows:
        page.row(
            right - 250, right, y, label, money.money(amount), size, label == content.total_label
        )
        y += lead
    page.text(left, height - 60, f"Questions? Contact {content.vendor} at support@example.com",
              size * 0.85)  # fmt: skip
    return [page]


def card_slip(content: Content, font: str) -> Page:
    """A scanned page after the bill: the card terminal's slip stapled to it."""
    page = Page(595.0, 842.0, font)
    lines = ["CARD PAYMENT", content.vendor, content.date(), "SALE"]
    lines += [content.money.money(content.total), "APPROVED"]
    for index, line in enumerate(lines):
        page.text(297.5, 120 + index * 22, line, 12, align="center", bold=index == 0)
    return page
