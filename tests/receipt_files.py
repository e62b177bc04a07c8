"""Receipt files for the upload tests, made here: a clean receipt as an image or a PDF (its
fields known, for real tesseract and the PDF text layer to read), and the bad files an
upload must refuse (bombs, a PDF of 500 pages, a password-protected PDF, ...)."""

import io
import struct
import zlib

import pypdfium2 as pdfium
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"

# What the receipt below says, as the draft expense should hold it.
RECEIPT_LINES = (
    "ANTHROPIC PBC",
    "548 Market St",
    "San Francisco CA",
    "Date: 2026-01-15",
    "Claude Pro      20.00",
    "Tax              1.60",
    "TOTAL USD       21.60",
    "Thank you",
)


def receipt_image(
    fmt: str = "PNG", lines: tuple[str, ...] = RECEIPT_LINES, **save: object
) -> bytes:
    """A till receipt, black monospace on white, as `fmt` (PNG, JPEG, WEBP, TIFF)."""
    font = ImageFont.truetype(FONT, 28)
    image = Image.new("L", (700, 60 + 44 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((40, 30 + 44 * index), line, font=font, fill=0)
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def receipt_pdf(
    lines: tuple[str, ...] = RECEIPT_LINES,
    *,
    user_password: str | None = None,
    owner_password: str | None = None,
) -> bytes:
    """The receipt as a one-page PDF with a text layer (fpdf2), encrypted if asked."""
    pdf = FPDF(format=(80, 120))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("courier", size=9)
    for index, line in enumerate(lines):
        pdf.text(6, 12 + 6 * index, line)
    if owner_password or user_password:
        pdf.set_encryption(owner_password=owner_password or "owner", user_password=user_password)
    return bytes(pdf.output())


def blank_pdf(pages: int, width_pt: float = 226, height_pt: float = 600) -> bytes:
    """A PDF of `pages` empty pages (pypdfium2), each `width_pt` x `height_pt` points."""
    document = pdfium.PdfDocument.new()
    try:
        for _ in range(pages):
            document.new_page(width_pt, height_pt)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()
    finally:
        document.close()


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header declares `width` x `height` pixels: the
    decompression bomb's shape (its image data would inflate to gigabytes)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def tiff_frames(frames: int, size: tuple[int, int] = (60, 80)) -> bytes:
    images = [Image.new("L", size, 255) for _ in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "TIFF", save_all=True, append_images=images[1:])
    return out.getvalue()


def image_of(size: tuple[int, int], fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("L", size, 255).save(out, fmt)
    return out.getvalue()
