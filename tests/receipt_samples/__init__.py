"""Realistic receipts rendered from a seed, with what they say, for the OCR tests and
bench/receipts.py (issue 15). No Django: Pillow draws images, fpdf2 writes PDFs.

    sample = receipt_sample(7)                                  # everything from the seed
    sample = receipt_sample(7, layout="till", currency="EUR", output="jpeg", degradation="skew")
    sample.data, sample.content_type, sample.truth.total

Layouts (`layouts`): "till" (a thermal-printer slip at 203 dpi: a shop's or a
restaurant's, with cash and change or a card, tax included or added, one or two rates, a
tip), "invoice" (A4: three letterheads, a table of lines, the customer's block, invoice and
due dates; two pages in "pdf-mixed") and "saas" (a bill from a software service, one of the
13 or another: an invoice or a card receipt). What they say (`content`): shops named
several ways, prices, taxes, dates and money written as their country writes them (USD,
EUR in three styles, GBP, JPY, CHF, CAD, AUD). Fonts: DejaVu and Liberation (sans, serif,
mono, condensed, narrow).

Outputs: png, jpeg, webp, tiff (images), pdf (fpdf2: a text layer), pdf-scan (the image
saved by Pillow as a PDF: no text layer) and pdf-mixed (fpdf2, two pages: the first with
text, the second an image). Degradations of the rendered image: none, noise (gaussian),
blur, jpeg (heavy compression), skew (1-4 degrees), photo (all of them and uneven light).
"""

import io
import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from PIL import Image

from . import layouts
from .content import CURRENCIES, content_make
from .drawing import (
    DEGRADATIONS,
    FONTS,
    PDF_DATE,
    Page,
    degraded,
    encoded,
    image_of,
    jpeg_damaged,
    pdf_of,
)

__all__ = ["CURRENCIES", "DEGRADATIONS", "FONTS", "LAYOUTS", "OUTPUTS", "Sample", "Truth"]
__all__ += ["receipt_sample", "receipt_samples"]

LAYOUTS = ("till", "invoice", "saas")
OUTPUTS = ("png", "jpeg", "webp", "tiff", "pdf", "pdf-scan", "pdf-mixed")
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
CONTENT_TYPES["tiff"] = "image/tiff"
TILL_FONTS = ("dejavu-mono", "liberation-mono", "dejavu-condensed", "liberation-narrow")
PAGE_FONTS = ("dejavu-sans", "dejavu-serif", "liberation-sans", "liberation-serif")
PAGE_FONTS += ("dejavu-condensed",)


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
    font = font or rng.choice(TILL_FONTS if layout == "till" else PAGE_FONTS)
    output = output or rng.choice(OUTPUTS)
    degradation = degradation or rng.choice(DEGRADATIONS)
    if output == "pdf":
        degradation = "none"  # a text layer is exact
    content = content_make(rng, layout, currency)
    if layout == "till":
        pages = layouts.till(content, rng, font)
    elif layout == "invoice":
        pages = layouts.invoice(content, rng, font, pages=2 if output == "pdf-mixed" else 1)
    else:
        pages = layouts.software_bill(content, rng, font)
    dpi = dpi or (203 if layout == "till" else rng.choice((150, 200, 300)))
    truth = Truth(content.truth_vendor, content.day, content.total, content.money.code, content.tax)

    def raster(page: Page) -> tuple[Image.Image, int]:
        return degraded(image_of(page, dpi), degradation, rng)

    if output == "pdf":
        data, content_type, text_pages = pdf_of(pages), "application/pdf", len(pages)
    elif output == "pdf-mixed":
        if len(pages) == 1:
            pages.append(layouts.card_slip(content, font))
        image, quality = raster(pages[-1])
        data = pdf_of(pages, {len(pages) - 1: jpeg_damaged(image, quality)})
        content_type, text_pages = "application/pdf", len(pages) - 1
    elif output == "pdf-scan":
        image, quality = raster(pages[0])
        buffer = io.BytesIO()
        when = PDF_DATE.utctimetuple()
        jpeg_damaged(image, quality).save(
            buffer, "PDF", resolution=dpi, creationDate=when, modDate=when
        )
        data, content_type, text_pages = buffer.getvalue(), "application/pdf", 0
    else:
        image, quality = raster(pages[0])
        data, content_type, text_pages = encoded(image, output, quality), CONTENT_TYPES[output], 0
    return Sample(
        data, content_type, truth, layout, font, output, degradation, len(pages), text_pages
    )


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
