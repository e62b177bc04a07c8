"""A receipt's first page as a PNG a page can show beside the draft: a PDF's page rendered
by pypdfium2, an image's first frame (a TIFF's first page) turned upright as the camera
recorded it (EXIF orientation), scaled to PREVIEW_WIDTH.

Only files that passed `uploads.receipt_file_inspect` are stored, so the size is bounded;
Pillow's decompression-bomb guard stays on all the same.
"""

import io

import pypdfium2 as pdfium
from PIL import Image, ImageOps

from .uploads import OPENED_AS, PDF_TYPE

PREVIEW_WIDTH = 1000
# A long till receipt stays readable: scaled to the width, cut off below this height.
PREVIEW_MAX_HEIGHT = 6000


def receipt_preview_png(data: bytes, content_type: str) -> bytes:
    """The first page of a stored receipt as PNG bytes, at most PREVIEW_WIDTH wide."""
    page = _pdf_first_page(data) if content_type == PDF_TYPE else _image_first_frame(data)
    if page.width > PREVIEW_WIDTH:
        height = max(1, round(page.height * PREVIEW_WIDTH / page.width))
        page = page.resize((PREVIEW_WIDTH, height), Image.Resampling.LANCZOS)
    if page.height > PREVIEW_MAX_HEIGHT:
        page = page.crop((0, 0, page.width, PREVIEW_MAX_HEIGHT))
    out = io.BytesIO()
    page.save(out, "PNG", optimize=False)
    return out.getvalue()


def _pdf_first_page(data: bytes) -> Image.Image:
    document = pdfium.PdfDocument(data)
    try:
        page = document[0]
        scale = min(PREVIEW_WIDTH / max(page.get_width(), 1.0), 4.0)
        bitmap = page.render(scale=scale)
        return bitmap.to_pil().convert("RGB")
    finally:
        document.close()


def _image_first_frame(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data), formats=OPENED_AS) as image:
        image.seek(0)
        if image.format in ("JPEG", "MPO") and image.width > 2 * PREVIEW_WIDTH:
            # Decoded at a power-of-two fraction of its size, no smaller than needed.
            image.draft("RGB", (PREVIEW_WIDTH, image.height * PREVIEW_WIDTH // image.width))
        upright = ImageOps.exif_transpose(image)
        return upright.convert("RGBA" if upright.mode in ("RGBA", "LA", "PA") else "RGB")
