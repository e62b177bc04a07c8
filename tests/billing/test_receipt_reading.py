"""Receipt reading (billing.ocr): rendered receipts through the real tesseract, PDFs' text
layers, files that cannot be read; then the extraction of the fields from text alone."""

import io
from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from PIL import Image

from billing.ocr import reading
from billing.ocr.extraction import fields_extract, lines_of_text
from billing.ocr.reading import ReceiptUnreadable, receipt_read
from tests.receipt_samples import receipt_sample


def values(reading_: reading.ReceiptReading) -> dict:
    return {name: found.value for name, found in reading_.fields.items()}


def read(sample) -> reading.ReceiptReading:
    return receipt_read(sample.data, sample.content_type)


# --- real files through real tesseract ----------------------------------------------------
def test_a_clean_till_slip_is_read_field_by_field():
    sample = receipt_sample(4, layout="till", currency="USD", output="png", degradation="none")

    result = read(sample)

    assert values(result) == {
        "vendor": "Café Lumiere",  # tesseract's English model drops the grave accent
        "date": date(2025, 1, 27),
        "total": Decimal("100.32"),
        "currency": "USD",
        "tax": Decimal("8.18"),
    }
    assert sample.truth.total == Decimal("100.32") and sample.truth.tax == Decimal("8.18")
    assert (result.pages, result.pages_ocr) == (1, 1)
    assert "TOTAL" in result.text.upper()
    assert all(0 < found.confidence <= 1 for found in result.fields.values())


def test_a_skewed_noisy_photo_of_a_receipt_is_read():
    # The "photo" damage: 1-4 degrees of skew, gaussian noise, blur, uneven light, JPEG.
    sample = receipt_sample(5, layout="till", currency="GBP", output="jpeg", degradation="photo")

    result = read(sample)

    assert values(result) == {
        "vendor": "Copper Kettle Kitchen",
        "date": date(2026, 2, 3),
        "total": Decimal("113.32"),
        "currency": "GBP",
        "tax": Decimal("18.89"),
    }


def test_a_skewed_a4_invoice_is_straightened_so_labels_meet_their_amounts():
    sample = receipt_sample(2, layout="invoice", currency="USD", output="jpeg", degradation="skew")

    result = read(sample)

    assert values(result) == {
        "vendor": "FamilyMart",
        "date": date(2026, 4, 1),
        "total": Decimal("13125.56"),
        "currency": "USD",
        "tax": Decimal("887.28"),
    }


def test_a_pdf_with_a_text_layer_is_read_without_tesseract():
    sample = receipt_sample(1, layout="saas", currency="USD", output="pdf")

    with mock.patch.object(reading.pytesseract, "image_to_data") as tesseract:
        result = read(sample)

    tesseract.assert_not_called()
    assert (result.pages, result.pages_ocr) == (1, 0)
    assert values(result) == {
        "vendor": "AWS",  # "Amazon Web Services, Inc." is one of the 13 services
        "date": date(2025, 8, 23),
        "total": Decimal("2218.69"),
        "currency": "USD",
        "tax": Decimal("135.41"),
    }
    # Read from the text layer, exactly: the highest confidence each way was found.
    assert result.fields["total"].confidence == 0.97


def test_a_scanned_pdf_is_rasterised_and_read_by_tesseract():
    sample = receipt_sample(
        2, layout="invoice", currency="GBP", output="pdf-scan", degradation="noise"
    )

    result = read(sample)

    assert (result.pages, result.pages_ocr) == (1, 1)
    assert values(result) == {
        "vendor": "FamilyMart",
        "date": date(2026, 4, 1),
        "total": Decimal("14685.94"),
        "currency": "GBP",
        "tax": Decimal("2447.66"),
    }


def test_a_two_page_pdf_reads_its_text_page_directly_and_ocrs_its_scanned_page():
    # Page 1 (a text layer) has the letterhead and the first lines; page 2, a scan, has
    # the rest of the lines and the totals.
    sample = receipt_sample(
        2, layout="invoice", currency="CHF", output="pdf-mixed", degradation="none"
    )

    with mock.patch.object(
        reading.pytesseract, "image_to_data", wraps=reading.pytesseract.image_to_data
    ) as tesseract:
        result = read(sample)

    assert tesseract.call_count == 1
    assert (result.pages, result.pages_ocr) == (2, 1)
    assert values(result) == {
        "vendor": "FamilyMart",
        "date": date(2026, 4, 1),
        "total": Decimal("12556.48"),
        "currency": "CHF",
        "tax": Decimal("318.20"),
    }


def test_euros_with_decimal_commas_and_thousand_points_are_read():
    sample = receipt_sample(6, layout="invoice", currency="EUR", output="png", degradation="none")

    result = read(sample)

    assert "13.367,96" in result.text
    assert values(result) == {
        "vendor": "Murphy Books Pty Ltd",
        "date": date(2026, 7, 31),
        "total": Decimal("13367.96"),
        "currency": "EUR",
        "tax": Decimal("2134.38"),
    }


def test_yen_without_decimals_are_read_as_whole_amounts():
    sample = receipt_sample(3, layout="till", currency="JPY", output="webp", degradation="blur")

    result = read(sample)

    assert "¥32,478" in result.text
    assert values(result) == {
        "vendor": "Jensen Garage",
        "date": date(2025, 3, 7),
        "total": Decimal("32478"),
        "currency": "JPY",
        "tax": Decimal("2406"),
    }


def test_an_image_is_turned_upright_by_its_exif_orientation():
    sample = receipt_sample(4, layout="till", currency="USD", output="png", degradation="none")
    # Stored lying on its side, as a phone does, with the tag that says how to turn it.
    sideways = Image.open(io.BytesIO(sample.data)).rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to view
    buffer = io.BytesIO()
    sideways.convert("RGB").save(buffer, "JPEG", quality=92, exif=exif)

    result = receipt_read(buffer.getvalue(), "image/jpeg")

    assert values(result)["total"] == Decimal("100.32")
    assert values(result)["date"] == date(2025, 1, 27)


@pytest.mark.parametrize("turned", [90, 180, 270])
def test_a_receipt_photographed_sideways_or_upside_down_without_exif_is_turned_upright(turned):
    sample = receipt_sample(4, layout="till", currency="USD", output="png", degradation="none")
    buffer = io.BytesIO()
    Image.open(io.BytesIO(sample.data)).rotate(turned, expand=True).save(buffer, "PNG")

    result = receipt_read(buffer.getvalue(), "image/png")

    assert values(result)["total"] == Decimal("100.32")
    assert values(result)["date"] == date(2025, 1, 27)


def test_every_frame_of_a_tiff_is_a_page():
    first = receipt_sample(4, layout="till", currency="USD", output="png", degradation="none")
    second = receipt_sample(3, layout="till", currency="JPY", output="png", degradation="none")
    frames = [Image.open(io.BytesIO(sample.data)) for sample in (first, second)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:])

    result = receipt_read(buffer.getvalue(), "image/tiff")

    assert (result.pages, result.pages_ocr) == (2, 2)
    assert values(result)["vendor"] == "Café Lumiere"  # the first page's letterhead
    assert "¥32,478" in result.text


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        (b"", "image/png", "This image cannot be opened."),
        (b"this is not a picture", "image/jpeg", "This image cannot be opened."),
        (b"%PDF-1.7 broken", "application/pdf", "This PDF cannot be opened."),
        (b"GIF89a", "image/gif", "Receipts can be PNG, JPEG, WebP, TIFF or PDF files."),
    ],
)
def test_a_file_that_is_not_a_receipt_is_unreadable(data, content_type, message):
    with pytest.raises(ReceiptUnreadable) as raised:
        receipt_read(data, content_type)
    assert str(raised.value) == message


def test_a_blank_page_is_unreadable():
    buffer = io.BytesIO()
    Image.new("L", (800, 1100), 255).save(buffer, "PNG")

    with pytest.raises(ReceiptUnreadable) as raised:
        receipt_read(buffer.getvalue(), "image/png")
    assert str(raised.value) == "No text could be read from this receipt."


def test_a_file_taking_too_long_altogether_is_unreadable():
    sample = receipt_sample(2, layout="invoice", currency="CHF", output="pdf-mixed")

    with (
        mock.patch.object(reading, "READING_SECONDS", 0),
        pytest.raises(ReceiptUnreadable) as raised,
    ):
        read(sample)
    assert str(raised.value) == "Reading this receipt took too long."


def test_tesseract_taking_too_long_makes_the_receipt_unreadable():
    sample = receipt_sample(4, layout="till", currency="USD", output="png", degradation="none")

    with (
        mock.patch.object(reading, "TESSERACT_SECONDS", 0.01),
        pytest.raises(ReceiptUnreadable) as raised,
    ):
        read(sample)
    assert str(raised.value) == "Reading this receipt took too long."


@pytest.mark.parametrize("output", ["png", "jpeg", "webp", "tiff", "pdf", "pdf-scan", "pdf-mixed"])
def test_a_sample_is_the_same_file_every_time_from_its_seed(output):
    first = receipt_sample(8, output=output, degradation="photo")
    again = receipt_sample(8, output=output, degradation="photo")
    assert first.data == again.data
    assert first.truth == again.truth
    assert first.data != receipt_sample(9, output=output, degradation="photo").data


# --- extraction from text alone -----------------------------------------------------------
def extracted(text: str) -> dict:
    return {name: found.value for name, found in fields_extract(lines_of_text(text)).items()}


def test_the_total_is_the_total_line_not_the_subtotal_the_tax_total_or_the_cash():
    fields = extracted(
        "CORNER STORE\nSubtotal 21.50\nTotal tax 1.95\nTOTAL 23.45\nCASH 50.00\nCHANGE 26.55\n"
    )
    assert fields["total"] == Decimal("23.45")
    assert fields["tax"] == Decimal("1.95")


def test_amount_due_is_preferred_and_a_zero_balance_is_not_the_total():
    assert extracted("Total 40.00\nAmount due $42.80\n")["total"] == Decimal("42.80")
    assert extracted("Total $20.00\nAmount paid $20.00\nAmount due $0.00\n")["total"] == Decimal(
        "20.00"
    )


def test_total_incl_vat_is_the_total_and_excl_vat_is_not():
    fields = extracted(
        "Hartley Supplies Ltd\nTotal excl. VAT £100.00\nVAT 20% £20.00\nTotal incl. VAT £120.00\n"
    )
    assert fields == {
        "vendor": "Hartley Supplies Ltd",
        "total": Decimal("120.00"),
        "tax": Decimal("20.00"),
        "currency": "GBP",
    }


def test_a_receipt_without_a_total_line_falls_back_to_its_largest_amount_with_low_confidence():
    found = fields_extract(lines_of_text("Kiosk\nCoffee 2.50\nCake 3.20\n"))
    assert found["total"].value == Decimal("3.20")
    assert found["total"].confidence == 0.4
    labelled = fields_extract(lines_of_text("Kiosk\nCoffee 2.50\nTOTAL 5.70\n"))
    assert labelled["total"].confidence == 0.9


def test_vat_numbers_and_amounts_excluding_tax_are_not_the_tax():
    fields = extracted("Acme Ltd\nVAT no. GB 123 4567 89\nNet 50.00\nTOTAL 50.00\n")
    assert "tax" not in fields
    assert fields["total"] == Decimal("50.00")


def test_two_tax_rates_are_added_up():
    fields = extracted("Bäckerei Hoffmann\nSUMME 12,34 €\nMwSt 19% 1,60 €\nMwSt 7% 0,33 €\n")
    assert fields["total"] == Decimal("12.34")
    assert fields["tax"] == Decimal("1.93")
    assert fields["currency"] == "EUR"


def test_a_tax_line_misread_is_found_as_the_total_less_the_subtotal():
    found = fields_extract(lines_of_text("Subtotal 100.00\nlax (8%) 8.00\nTotal 108.00\n"))
    assert found["tax"].value == Decimal("8.00")
    assert found["tax"].confidence == 0.6


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Date: 2026-01-15", date(2026, 1, 15)),
        ("15/01/2026 14:32", date(2026, 1, 15)),
        ("Datum 15.01.2026", date(2026, 1, 15)),
        ("Jan 15, 2026", date(2026, 1, 15)),
        ("Date of issue 15 January 2026", date(2026, 1, 15)),
        ("Invoice date: 15-Jan-2026", date(2026, 1, 15)),
        ("2026/01/15 09:12", date(2026, 1, 15)),
        ("le 15 janvier 2026", date(2026, 1, 15)),
    ],
)
def test_dates_are_read_in_many_formats(text, expected):
    assert extracted(f"Shop\n{text}\nTOTAL 10.00\n")["date"] == expected


def test_an_ambiguous_date_is_read_month_first_only_on_a_dollar_receipt():
    assert extracted("Diner\n03/04/2026\nTOTAL $9.00\n")["date"] == date(2026, 3, 4)
    assert extracted("Cafe\n03/04/2026\nTOTAL £9.00\n")["date"] == date(2026, 4, 3)
    assert extracted("Cafe\n03/04/2026\nTOTAL 9,00 €\n")["date"] == date(2026, 4, 3)


def test_the_issue_date_wins_over_due_dates_periods_and_today():
    fields = extracted(
        "Acme Hosting\n"
        "Due date: 14 February 2026\n"
        "Invoice date: 15 January 2026\n"
        "Service period Jan 1 - Jan 31, 2026\n"
        "Total $12.00\n"
        "You saved $1.20 today\n"
    )
    assert fields["date"] == date(2026, 1, 15)


def test_a_future_year_misread_is_not_a_date():
    assert "date" not in extracted("Shop\nDate 12/03/2076\nTOTAL 3.00\n")


@pytest.mark.parametrize(
    ("text", "currency", "total"),
    [
        ("TOTAL CA$45.20", "CAD", Decimal("45.20")),
        ("HST 13% 5.20\nTOTAL $45.20", "CAD", Decimal("45.20")),
        ("Vancouver, BC V6B 1Al\nTOTAL $45.20", "CAD", Decimal("45.20")),
        ("Melbourne VIC 3000\nTOTAL $45.20", "AUD", Decimal("45.20")),
        ("ABN 51 824 753 556\nTOTAL $45.20", "AUD", Decimal("45.20")),
        ("Portland, OR 97205\nTOTAL $45.20", "USD", Decimal("45.20")),
        ("TOTAL $45.20", "USD", Decimal("45.20")),
        ("TOTAL CHF 1'234.50", "CHF", Decimal("1234.50")),
        ("TOTAL ¥12,800", "JPY", Decimal("12800")),
        ("Gesamtbetrag 1.234,56 EUR", "EUR", Decimal("1234.56")),
        ("Total 1 234,56 €", "EUR", Decimal("1234.56")),
    ],
)
def test_currencies_and_number_formats(text, currency, total):
    fields = extracted(f"Shop\n{text}\n")
    assert (fields["currency"], fields["total"]) == (currency, total)


def test_no_currency_sign_or_code_means_no_currency():
    fields = extracted("Shop\nTOTAL 12.00\n")
    assert "currency" not in fields
    assert fields["total"] == Decimal("12.00")


def test_words_that_are_currency_codes_are_not_currencies():
    assert "currency" not in extracted("Cafe\nCUP 2.50\nTOTAL 2.50\n")


def test_ocr_misreads_inside_numbers_and_labels_are_repaired():
    assert extracted("Shop\nT0TAL 12.5O\n")["total"] == Decimal("12.50")
    assert extracted("Shop\nTotal A$40 .02\n")["total"] == Decimal("40.02")
    assert extracted("Shop\nTOTAL USD 21..60\n")["total"] == Decimal("21.60")


def test_a_dollar_sign_read_as_an_s_and_a_decimal_comma_misread_are_repaired():
    assert extracted("X\nSubtotal CAS1,021.68\nTotal CAS1,072.76\n")["total"] == Decimal("1072.76")
    # Two digits after a comma are cents even on a receipt that writes cents after points.
    fields = extracted("X\nSubtotal €95.00\nTotal €106.26\nAmount due €106,26\n")
    assert fields["total"] == Decimal("106.26")


def test_the_total_the_receipt_repeats_outvotes_a_digit_misread_on_one_line():
    fields = extracted("X\nTotal $3,965.45\nAmount due $965.45\nVISA **** 4242 $3,965.45\n")
    assert fields["total"] == Decimal("3965.45")


def test_the_day_and_year_of_a_written_date_are_not_amounts():
    # The total's line was lost; the headline's amount is the guess, not "2026" or a postcode.
    fields = extracted("Linear\n$890.93 due Sep 16, 2026\nBrooklyn, NY 11201\n")
    assert fields["total"] == Decimal("890.93")
    assert fields["date"] == date(2026, 9, 16)


@pytest.mark.parametrize(
    ("text", "vendor"),
    [
        ("Receipt from Anthropic, PBC\nAmount paid $20.00", "Anthropic"),
        ("INVOICE\nOpenAl, LLC\nTotal $20.00", "OpenAI"),  # l read for I
        ("Invoice\nInvoice number 42\nAnysphere, Inc.\nTotal $20.00", "Cursor"),
        ("Receipt from Notion Labs, Inc.\nAmount paid $10.00", "Notion Labs, Inc."),
        ("WELCOME TO\nBLUE DOOR BAKERY\n12 High Street\nTOTAL 4.50", "BLUE DOOR BAKERY"),
        ("THE COFFEE HOUSE\nPaid with Google Pay\nTOTAL 4.50", "THE COFFEE HOUSE"),
        ("Fly.io Bill to Jane Doe\nTotal $5.00", "Fly.io"),
    ],
)
def test_the_vendor_is_the_letterhead_or_one_of_the_13_services(text, vendor):
    assert extracted(text)["vendor"] == vendor
