"""Reading a receipt: its text, then vendor, date, total, currency and tax.

A PDF page's text layer is read directly (pypdfium2); only a page with no usable text (a
scan) is rasterised and read by tesseract 5 (pytesseract), as images are. Images are
turned upright by their EXIF orientation and made greyscale first.
"""

import io
import re
from dataclasses import dataclass

import pypdfium2 as pdfium
import pytesseract
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from .extraction import Line, Word, fields_extract

IMAGE_TYPES = {"image/png", "image/jpeg", "image/webp", "image/tiff"}
PDF_TYPE = "application/pdf"
# A scanned page is rasterised at this resolution: tesseract wants capital letters about
# 20-30 pixels tall, which 10-point type reaches near 200 dpi; more costs time, not words.
SCAN_DPI = 200
# A page with fewer letters and digits than this in its text layer is a scan (a page
# number or a stamp does not make a text layer).
MIN_TEXT_LAYER_CHARACTERS = 20
# tesseract gets this long per page; a page it cannot read in this time is not a receipt.
TESSERACT_SECONDS = 30
# Images smaller than this on their long side are enlarged before OCR (a small photo or a
# thumbnail of a till slip has letters too small for tesseract).
MIN_LONG_SIDE = 1400
# --psm 4: one column of text of varying sizes, which is what a receipt is; it keeps a
# label and its amount ("TOTAL ..... 12.00") on one line where the automatic layout (3)
# splits them into columns. Inverted-text detection is off: receipts are dark on light.
TESSERACT_CONFIG = "--oem 1 --psm 4 -c tessedit_do_invert=0"


@dataclass(frozen=True)
class FieldReading:
    value: object
    confidence: float  # 0..1


@dataclass(frozen=True)
class ReceiptReading:
    text: str
    # Among "vendor" (str), "date" (datetime.date), "total" and "tax" (Decimal),
    # "currency" (ISO 4217 code); a field not found is absent.
    fields: dict[str, FieldReading]
    pages: int
    pages_ocr: int  # pages tesseract read; the others came from the PDF's text layer


class ReceiptUnreadable(Exception):
    """The file cannot be read as a receipt; the message can be shown to the user."""


def receipt_read(data: bytes, content_type: str) -> ReceiptReading:
    """Read the receipt in `data` (image/png, image/jpeg, image/webp, image/tiff or
    application/pdf). Raises ReceiptUnreadable when it cannot be read."""
    if content_type == PDF_TYPE:
        pages, pages_ocr = _pdf_lines(data)
    elif content_type in IMAGE_TYPES:
        pages = _image_lines(data)
        pages_ocr = len(pages)
    else:
        raise ReceiptUnreadable("Receipts can be PNG, JPEG, WebP, TIFF or PDF files.")
    lines = [line for page in pages for line in page]
    if not any(re.search(r"\w", line.text) for line in lines):
        raise ReceiptUnreadable("No text could be read from this receipt.")
    fields = {
        name: FieldReading(found.value, found.confidence)
        for name, found in fields_extract(lines).items()
    }
    text = "\n\n".join("\n".join(line.text for line in page) for page in pages)
    return ReceiptReading(
        text=text,
        fields=fields,
        pages=len(pages),
        pages_ocr=pages_ocr,
    )


# --- PDF --------------------------------------------------------------------------------
def _pdf_lines(data: bytes) -> tuple[list[list[Line]], int]:
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        raise ReceiptUnreadable("This PDF cannot be opened.") from None
    pages, pages_ocr = [], 0
    try:
        for number in range(len(document)):
            page = document[number]
            lines = _text_layer_lines(page, number)
            if sum(c.isalnum() for line in lines for c in line.text) < MIN_TEXT_LAYER_CHARACTERS:
                image = page.render(scale=SCAN_DPI / 72, grayscale=True).to_pil()
                lines = _ocr_lines(image, number)
                pages_ocr += 1
            pages.append(lines)
            page.close()
    finally:
        document.close()
    return pages, pages_ocr


def _text_layer_lines(page: pdfium.PdfPage, number: int) -> list[Line]:
    """The page's text layer as lines, each word as tall as its tallest character."""
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range()
        lines, words, word, height = [], [], [], 0.0
        # get_text_range gives one character per text-page character (line breaks are
        # generated characters too), so boxes can be looked up by position.
        aligned = len(text) == count
        for index, character in enumerate(text + "\n"):
            if character.isspace():
                if word:
                    words.append(Word("".join(word), 1.0, height))
                    word, height = [], 0.0
                if character in "\r\n" and words:
                    lines.append(Line(tuple(words), number))
                    words = []
                continue
            word.append(character)
            if aligned and index < count:
                _left, bottom, _right, top = textpage.get_charbox(index)
                height = max(height, top - bottom)
        return lines
    finally:
        textpage.close()


# --- images -----------------------------------------------------------------------------
def _image_lines(data: bytes) -> list[list[Line]]:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Image.DecompressionBombError:
        raise ReceiptUnreadable("This image has too many pixels to be read.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ReceiptUnreadable("This image cannot be opened.") from None
    pages = []
    for number, frame in enumerate(ImageSequence.Iterator(image)):
        pages.append(_ocr_lines(_prepared(frame), number))
    return pages


def _prepared(image: Image.Image) -> Image.Image:
    """Upright, greyscale on white, stretched to full contrast, small images enlarged."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, "white")
        image = Image.alpha_composite(white, rgba)
    image = image.convert("L")
    image = ImageOps.autocontrast(image, cutoff=1)
    long_side = max(image.size)
    if long_side < MIN_LONG_SIDE:
        scale = MIN_LONG_SIDE / long_side
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
        )
    return image


# --- tesseract --------------------------------------------------------------------------
def _ocr_lines(image: Image.Image, number: int) -> list[Line]:
    try:
        data = pytesseract.image_to_data(
            image,
            lang="eng",
            config=TESSERACT_CONFIG,
            output_type=pytesseract.Output.DICT,
            timeout=TESSERACT_SECONDS,
        )
    except RuntimeError as error:  # pytesseract's timeout
        raise ReceiptUnreadable("Reading this receipt took too long.") from error
    except pytesseract.TesseractError as error:
        raise ReceiptUnreadable("This receipt cannot be read.") from error
    lines: dict[tuple[int, int, int], list[Word]] = {}
    for index, text in enumerate(data["text"]):
        confidence = float(data["conf"][index])
        if confidence < 0 or not text.strip():
            continue
        key = (data["block_num"][index], data["par_num"][index], data["line_num"][index])
        lines.setdefault(key, []).append(
            Word(text.strip(), confidence / 100, float(data["height"][index]))
        )
    return [Line(tuple(words), number) for words in lines.values()]
