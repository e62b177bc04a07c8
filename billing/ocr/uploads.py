"""What a receipt upload may be, judged by its content alone (never its name or the
Content-Type the client sent): PNG, JPEG, WebP or TIFF as Pillow identifies them, or a PDF
(`%PDF-`) that pypdfium2 opens. At most MAX_BYTES, MAX_PAGES pages (a TIFF's frames count,
a PDF's pages are counted without rendering any) and MAX_PIXELS per page (a PDF page at
PDF_RENDER_DPI). Anything else is a `ReceiptRejected` whose `code` says which rule, so the
doors can answer a clear 4xx before anything is stored.

Pillow's own guard against decompression bombs (an image declaring far more pixels than
its bytes hold) is kept and answered as a rejection, whichever of its warning or error it
raises; MAX_PIXELS is below its threshold, so the bound is ours either way.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass
from struct import error as struct_error

import pypdfium2 as pdfium
from PIL import Image, UnidentifiedImageError

from tokentracker.errors import DomainError, Kind

MAX_BYTES = 10 * 1024 * 1024
MAX_PAGES = 20
# A 48-megapixel phone photo fits; tesseract and the preview decode one page at a time, so
# this bounds their memory (about 200 MB as RGBA) whatever the file declares.
MAX_PIXELS = 50_000_000
# A PDF page's pixels are counted at this resolution: above the one a scanned page is
# rasterised at for OCR (billing.ocr.reading.SCAN_DPI, 200), so a page that passes fits.
PDF_RENDER_DPI = 300

# Pillow's format names (what it identified), as the content types stored and served.
# MPO is how Pillow names a phone camera's JPEG carrying extra pictures (previews, depth):
# the first picture is the photo.
IMAGE_TYPES = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
}
PDF_TYPE = "application/pdf"
# The plugins Pillow may try (MPO comes from the JPEG one).
OPENED_AS = ["PNG", "JPEG", "WEBP", "TIFF"]
CONTENT_TYPES = frozenset({*IMAGE_TYPES.values(), PDF_TYPE})
ACCEPTED = "PNG, JPEG, WebP, TIFF or PDF"


class ReceiptRejected(DomainError):
    """An upload that is not a receipt we read; `code` names the rule it broke."""

    kind = Kind.VALIDATION

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    UNSUPPORTED_TYPE = "unsupported_type"
    DAMAGED = "damaged"
    TOO_MANY_PAGES = "too_many_pages"
    TOO_MANY_PIXELS = "too_many_pixels"
    ENCRYPTED = "encrypted"


@dataclass(frozen=True)
class ReceiptFile:
    content_type: str
    pages: int
    size: int
    sha256: str


def _rejected(code: str, message: str) -> ReceiptRejected:
    return ReceiptRejected(message, code=code, details={"reason": code})


def _too_many_pages(pages: int | str) -> ReceiptRejected:
    return _rejected(
        ReceiptRejected.TOO_MANY_PAGES,
        f"The file has {pages} pages; a receipt may have at most {MAX_PAGES}.",
    )


def _too_many_pixels(width: int, height: int) -> ReceiptRejected:
    return _rejected(
        ReceiptRejected.TOO_MANY_PIXELS,
        f"A page of {width} x {height} pixels is too large; a page may have at most "
        f"{MAX_PIXELS // 1_000_000} million pixels.",
    )


def receipt_file_inspect(data: bytes) -> ReceiptFile:
    """What the file is, or `ReceiptRejected` saying why it cannot be a receipt."""
    if not data:
        raise _rejected(ReceiptRejected.EMPTY, "The file is empty.")
    if len(data) > MAX_BYTES:
        raise _rejected(
            ReceiptRejected.TOO_LARGE,
            f"The file is {len(data)} bytes; a receipt may be at most {MAX_BYTES} bytes "
            f"({MAX_BYTES // (1024 * 1024)} MiB).",
        )
    if data.startswith(b"%PDF-"):
        content_type, pages = PDF_TYPE, _pdf_pages(data)
    else:
        content_type, pages = _image(data)
    return ReceiptFile(
        content_type=content_type,
        pages=pages,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _pdf_pages(data: bytes) -> int:
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        if getattr(error, "err_code", None) == pdfium.raw.FPDF_ERR_PASSWORD:
            raise _rejected(
                ReceiptRejected.ENCRYPTED,
                "The PDF is protected by a password; upload it without the password.",
            ) from None
        raise _rejected(ReceiptRejected.DAMAGED, "The PDF is damaged and cannot be read.") from None
    try:
        pages = len(document)
        if pages == 0:
            raise _rejected(ReceiptRejected.DAMAGED, "The PDF has no pages.")
        if pages > MAX_PAGES:
            raise _too_many_pages(pages)
        for index in range(pages):
            # The page's size from the document's page tree: nothing is rendered.
            width_pt, height_pt = document.get_page_size(index)
            width = round(width_pt / 72 * PDF_RENDER_DPI)
            height = round(height_pt / 72 * PDF_RENDER_DPI)
            if width * height > MAX_PIXELS:
                raise _too_many_pixels(width, height)
        return pages
    finally:
        document.close()


def _image(data: bytes) -> tuple[str, int]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=OPENED_AS) as image:
                return _image_checked(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _rejected(
            ReceiptRejected.TOO_MANY_PIXELS,
            f"The image declares more pixels than a receipt can have (at most "
            f"{MAX_PIXELS // 1_000_000} million per page).",
        ) from None
    except UnidentifiedImageError:
        raise _rejected(
            ReceiptRejected.UNSUPPORTED_TYPE,
            f"The file is not a {ACCEPTED} file (judged by its content, not its name).",
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct_error):
        # What Pillow's decoders raise on truncated or corrupt data.
        raise _rejected(
            ReceiptRejected.DAMAGED, "The image is damaged and cannot be read."
        ) from None


def _image_checked(image: Image.Image) -> tuple[str, int]:
    content_type = IMAGE_TYPES[image.format or ""]
    if image.format == "TIFF":
        pages = _tiff_frames(image)
    elif image.format == "MPO":
        pages = 1
    else:
        # PNG (APNG) and WebP give their frame count in a header.
        pages = getattr(image, "n_frames", 1)
        if pages > MAX_PAGES:
            raise _too_many_pages(pages)
    image.seek(0)
    if image.width * image.height > MAX_PIXELS:
        raise _too_many_pixels(image.width, image.height)
    if image.format in ("JPEG", "MPO"):
        # Decoded at an eighth of its size: every byte is still read, at a fraction of the
        # memory and time, which is all the damage check needs.
        # (At least a pixel: a JPEG under 8 pixels wide asks for nothing smaller.)
        image.draft(image.mode, (max(image.width // 8, 1), max(image.height // 8, 1)))
    image.load()
    return content_type, pages


def _tiff_frames(image: Image.Image) -> int:
    # Walked one frame at a time and stopped past MAX_PAGES: n_frames would walk a file of a
    # million frames to the end.
    frames = 0
    while True:
        if image.width * image.height > MAX_PIXELS:
            raise _too_many_pixels(image.width, image.height)
        frames += 1
        if frames > MAX_PAGES:
            raise _too_many_pages(f"more than {MAX_PAGES}")
        try:
            image.seek(frames)
        except EOFError:
            return frames
