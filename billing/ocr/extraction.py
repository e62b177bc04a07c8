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

from .dates import date_find
from .lines import Found, Line, Word, digits_repaired, lines_of_text
from .money import currency_find, decimal_separator, labelled, tax_find, total_find
from .vendors import vendor_find

__all__ = ["Found", "Line", "Word", "fields_extract", "lines_of_text"]


def fields_extract(lines: list[Line]) -> dict[str, Found]:
    """The fields found in a receipt's lines (all pages, in reading order); a field not
    found is absent."""
    lines = [line for line in lines if line.words]
    separator = decimal_separator([digits_repaired(line.text) for line in lines])
    rows = labelled(lines, separator)
    text = "\n".join(row.text for row in rows)
    fields: dict[str, Found] = {}
    vendor = vendor_find(lines)
    if vendor:
        fields["vendor"] = vendor
    total = total_find(rows)
    total_row = None
    if total:
        fields["total"], total_row = total
    currency = currency_find(rows, total_row, text)
    if currency:
        fields["currency"] = currency
    tax = tax_find(rows, fields["total"].value if "total" in fields else None)
    if tax:
        fields["tax"] = tax
    day = date_find(rows, currency.value if currency else None)
    if day:
        fields["date"] = day
    return fields
