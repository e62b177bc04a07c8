"""Reading a receipt: its text, then vendor, date, total, currency and tax.

A PDF page's text layer is read directly (pypdfium2); only a page with no usable text (a
scan) is rasterised and read by tesseract 5 (pytesseract), as images are. Images are
turned upright by their EXIF orientation and made greyscale first.
"""

import io
import os
import re
import statistics
import time
from dataclasses import dataclass

import pypdfium2 as pdfium
import pytesseract
from PIL import (
    Image,
    ImageChops,
    ImageFilter,
    ImageMath,
    ImageOps,
    ImageSequence,
    ImageStat,
    UnidentifiedImageError,
)

from .extraction import Line, Word, fields_extract

# tesseract's OpenMP threads fight each other and the other workers on a small machine:
# one thread per tesseract is faster there, as tesseract's own documentation advises for
# several instances at once. Only tesseract (the one OpenMP program started) reads it.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

IMAGE_TYPES = {"image/png", "image/jpeg", "image/webp", "image/tiff"}
PDF_TYPE = "application/pdf"
# A scanned page is rasterised at this resolution: tesseract wants capital letters about
# 20-30 pixels tall, which 10-point type reaches near 200 dpi; more costs time, not words.
SCAN_DPI = 200
# A page with fewer letters and digits than this in its text layer is a scan (a page
# number or a stamp does not make a text layer).
MIN_TEXT_LAYER_CHARACTERS = 20
# tesseract gets this long per page; a page it cannot read in this time is not a receipt.
# The whole file gets READING_SECONDS (within the Celery task's limit of 3 minutes).
TESSERACT_SECONDS = 30
READING_SECONDS = 150
# A scanned page is rendered with at most this many pixels (a poster-sized page would
# otherwise be rendered at 200 dpi too).
MAX_RENDER_PIXELS = 12_000_000
# A page read with fewer than this many words tesseract is sure of (or sure of on average)
# may be sideways or upside down: tesseract's orientation detection (OSD) is asked, and
# the page read again turned upright; the better of the two readings is kept.
MIN_SURE_WORDS = 10
SURE_CONFIDENCE = 0.8
# Images are resized to at least this on their short side (a till slip printed at 203 dpi
# is 576 pixels wide, its letters too small for tesseract) and at most this on their long
# side (an A4 page at 200 dpi: more pixels cost time, not words).
MIN_SHORT_SIDE = 1000
MAX_LONG_SIDE = 2400
# Noise: the mean change a 3x3 median filter makes to the middle NOISE_SAMPLE_SIDE pixels.
NOISE_SAMPLE_SIDE = 400
NOISE_THRESHOLD = 3.0
# Uneven light: the paper's brightness varies by more than this (of 255) across the image.
UNEVEN_LIGHT = 25
# Skew is searched up to MAX_SKEW_DEGREES either way on a copy about SKEW_SAMPLE_WIDTH
# pixels wide; less than MIN_SKEW_DEGREES is left to tesseract.
MAX_SKEW_DEGREES = 6
SKEW_SAMPLE_WIDTH = 500
MIN_SKEW_DEGREES = 0.5
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
    deadline = time.monotonic() + READING_SECONDS
    if content_type == PDF_TYPE:
        pages, pages_ocr = _pdf_lines(data, deadline)
    elif content_type in IMAGE_TYPES:
        pages = _image_lines(data, deadline)
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
def _pdf_lines(data: bytes, deadline: float) -> tuple[list[list[Line]], int]:
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
                width, height = page.get_size()
                scale = min(SCAN_DPI / 72, (MAX_RENDER_PIXELS / (width * height)) ** 0.5)
                image = page.render(scale=scale, grayscale=True).to_pil()
                lines = _ocr_lines(_prepared(image), number, deadline)
                pages_ocr += 1
            pages.append(lines)
            page.close()
    finally:
        document.close()
    return pages, pages_ocr


def _text_layer_lines(page: pdfium.PdfPage, number: int) -> list[Line]:
    """The page's text layer as lines of words, each with its type size and where it
    starts and ends across the page, in points."""
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        text = textpage.get_text_range()
        # get_text_range gives one character per text-page character (line breaks are
        # generated characters too), so sizes and boxes can be looked up by position.
        aligned = len(text) == count
        lines, words, word = [], [], []
        size, left, right = 0.0, 0.0, 0.0
        for index, character in enumerate(text + "\n"):
            if character.isspace():
                if word:
                    words.append(Word("".join(word), 1.0, size, left, right))
                    word, size = [], 0.0
                if character in "\r\n" and words:
                    lines.append(Line(tuple(words), number))
                    words = []
                continue
            if aligned and index < count:
                size = max(size, pdfium.raw.FPDFText_GetFontSize(textpage.raw, index))
                box_left, _bottom, right, _top = textpage.get_charbox(index)
                left = box_left if not word else left
            word.append(character)
        return lines
    finally:
        textpage.close()


# --- images -----------------------------------------------------------------------------
def _image_lines(data: bytes, deadline: float) -> list[list[Line]]:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Image.DecompressionBombError:
        raise ReceiptUnreadable("This image has too many pixels to be read.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ReceiptUnreadable("This image cannot be opened.") from None
    pages = []
    for number, frame in enumerate(ImageSequence.Iterator(image)):
        pages.append(_ocr_lines(_prepared(frame), number, deadline))
    return pages


def _prepared(image: Image.Image) -> Image.Image:
    """Upright, greyscale on an even white, straightened, resized so letters are the size
    tesseract reads best. Each step is taken only when the image needs it (see
    bench/receipts.py for what each one changed)."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, "white")
        image = Image.alpha_composite(white, rgba)
    image = image.convert("L")
    scale = 1.0
    if min(image.size) < MIN_SHORT_SIDE:
        scale = MIN_SHORT_SIDE / min(image.size)
    if max(image.size) * scale > MAX_LONG_SIDE:
        scale = MAX_LONG_SIDE / max(image.size)
    if abs(scale - 1) > 0.05:
        size = (round(image.width * scale), round(image.height * scale))
        resample = Image.Resampling.LANCZOS if scale > 1 else Image.Resampling.BOX
        image = image.resize(size, resample)
    if _noisy(image):
        # A 3x3 mean: as good as a median filter here (bench/RESULTS.md), a tenth the time.
        image = image.filter(ImageFilter.BoxBlur(1))
    image = _evenly_lit(image)
    angle = _skew(image)
    if abs(angle) >= MIN_SKEW_DEGREES:
        image = image.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return ImageOps.autocontrast(image, cutoff=(0, 1))


def _noisy(image: Image.Image) -> bool:
    """Whether the image is grainy (a photo, a poor scan): tesseract then takes each grain
    for a letter to try, past its 30 seconds on a mostly empty page, which smoothing the
    grain away prevents. Judged on the middle of the image: how much a median filter
    would change it."""
    width, height = image.size
    side = min(NOISE_SAMPLE_SIDE, width, height)
    left, top = (width - side) // 2, (height - side) // 2
    sample = image.crop((left, top, left + side, top + side))
    change = ImageChops.difference(sample, sample.filter(ImageFilter.MedianFilter(3)))
    return ImageStat.Stat(change).mean[0] > NOISE_THRESHOLD


def _evenly_lit(image: Image.Image) -> Image.Image:
    """The image divided by its paper's brightness, when that varies (a photo taken under a
    lamp): tesseract's single threshold would otherwise turn the dark side black."""
    small = image.reduce(16) if min(image.size) >= 320 else image
    # The paper is the brightest thing around each point; letters are thinner than the
    # 5-pixel (80 px at full size) neighbourhood.
    paper = small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(2))
    darkest, brightest = paper.getextrema()
    if brightest - darkest < UNEVEN_LIGHT:
        return image
    paper = paper.resize(image.size, Image.Resampling.BILINEAR)
    flat = ImageMath.lambda_eval(
        lambda a: a["min"](a["float"](a["image"]) * 255 / a["max"](a["float"](a["paper"]), 1), 255),
        image=image,
        paper=paper,
    )
    return flat.convert("L")


def _skew(image: Image.Image) -> float:
    """The rotation that makes the lines of text level: the angle at which the rows of a
    small copy of the page are most unequal in ink (dense lines, empty gaps)."""
    factor = max(1, round(image.width / SKEW_SAMPLE_WIDTH))
    small = image.reduce(factor) if factor > 1 else image
    ink = ImageOps.autocontrast(small).point(lambda value: 255 if value < 128 else 0)

    def contrast(angle: float) -> float:
        rotated = ink.rotate(angle, Image.Resampling.NEAREST, expand=True, fillcolor=0)
        rows = rotated.resize((1, rotated.height), Image.Resampling.BOX).tobytes()
        return statistics.pvariance(rows)

    coarse = max(range(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 1), key=contrast)
    return max((coarse + step / 4 for step in range(-3, 4)), key=contrast)


# --- tesseract --------------------------------------------------------------------------
def _ocr_lines(image: Image.Image, number: int, deadline: float) -> list[Line]:
    lines = _tesseract_lines(image, number, deadline)
    if _sure_words(lines) >= MIN_SURE_WORDS:
        return lines
    try:
        orientation = pytesseract.image_to_osd(
            image,
            config="--psm 0",
            output_type=pytesseract.Output.DICT,
            timeout=_seconds_left(deadline),
        )
    except pytesseract.TesseractError:  # too few letters to tell
        return lines
    except RuntimeError as error:  # pytesseract's timeout
        raise ReceiptUnreadable("Reading this receipt took too long.") from error
    if orientation["rotate"] == 0:
        return lines
    # OSD says how far to turn the page clockwise; Pillow turns counter-clockwise.
    upright = image.rotate(-orientation["rotate"], expand=True, fillcolor=255)
    turned = _tesseract_lines(upright, number, deadline)
    return turned if _sure_words(turned) > _sure_words(lines) else lines


def _sure_words(lines: list[Line]) -> int:
    return sum(word.confidence >= SURE_CONFIDENCE for line in lines for word in line.words)


def _seconds_left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise ReceiptUnreadable("Reading this receipt took too long.")
    return min(TESSERACT_SECONDS, left)


def _tesseract_lines(image: Image.Image, number: int, deadline: float) -> list[Line]:
    try:
        data = pytesseract.image_to_data(
            image,
            lang="eng",
            config=TESSERACT_CONFIG,
            output_type=pytesseract.Output.DICT,
            timeout=_seconds_left(deadline),
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
        word = text.strip()
        size = _font_size(word, data["height"][index])
        left = float(data["left"][index])
        lines.setdefault(key, []).append(
            Word(word, confidence / 100, size, left, left + data["width"][index])
        )
    return [Line(tuple(words), number) for words in lines.values()]


def _font_size(word: str, height: int) -> float:
    """The type size of a word from the height of its box: "minimum" is only as tall as
    an x, "Typography" spans ascenders to descenders; each is scaled to the full size."""
    ascends = any(c.isupper() or c.isdigit() or c in "bdfhiklt!?/()[]{}|$€£¥%&#@" for c in word)
    descends = any(c in "gjpqy,;()[]{}|" for c in word)
    if ascends and descends:
        return float(height)
    if ascends or descends:
        return height / 0.75
    return height / 0.55
