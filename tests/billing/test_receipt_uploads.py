"""What a receipt upload may be, judged by its content: the accepted types with their page
counts, and each rule a bad file breaks, by its code."""

import hashlib
import io
from unittest import mock

import pypdfium2 as pdfium
import pytest
from PIL import Image

from billing.ocr.uploads import (
    MAX_BYTES,
    MAX_PAGES,
    ReceiptRejected,
    receipt_file_inspect,
)
from tests.receipt_files import (
    blank_pdf,
    image_of,
    png_declaring,
    receipt_image,
    receipt_pdf,
    tiff_frames,
)


def rejected(data: bytes) -> ReceiptRejected:
    with pytest.raises(ReceiptRejected) as caught:
        receipt_file_inspect(data)
    assert caught.value.details == {"reason": caught.value.code}
    return caught.value


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("PNG", "image/png"),
        ("JPEG", "image/jpeg"),
        ("WEBP", "image/webp"),
        ("TIFF", "image/tiff"),
    ],
)
def test_each_image_type_is_told_by_its_content(fmt, content_type):
    data = receipt_image(fmt)
    inspected = receipt_file_inspect(data)
    assert (inspected.content_type, inspected.pages, inspected.size) == (
        content_type,
        1,
        len(data),
    )
    assert inspected.sha256 == hashlib.sha256(data).hexdigest()


def test_a_pdf_is_told_by_its_content_with_its_pages():
    assert receipt_file_inspect(receipt_pdf()).content_type == "application/pdf"
    assert receipt_file_inspect(blank_pdf(3)).pages == 3


def test_a_multi_page_tiff_counts_its_frames():
    assert receipt_file_inspect(tiff_frames(3)).pages == 3


def test_an_empty_file_is_refused():
    error = rejected(b"")
    assert (error.code, error.message) == ("empty", "The file is empty.")


def test_a_file_over_10_mib_is_refused_before_it_is_parsed():
    with mock.patch.object(Image, "open") as opened:
        error = rejected(b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_BYTES)
    assert error.code == "too_large"
    assert error.message == (
        "The file is 10485768 bytes; a receipt may be at most 10485760 bytes (10 MiB)."
    )
    opened.assert_not_called()


def test_a_file_of_exactly_10_mib_is_judged_by_its_content():
    assert rejected(b"x" * MAX_BYTES).code == "unsupported_type"


@pytest.mark.parametrize(
    "data",
    [
        b"Total 12.00\nThank you\n",  # a text file, whatever it is called
        b"<html><script>alert(1)</script></html>",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        image_of((20, 20), "GIF"),
        image_of((20, 20), "BMP"),
    ],
    ids=["text", "html", "svg", "gif", "bmp"],
)
def test_anything_but_png_jpeg_webp_tiff_or_pdf_is_refused(data):
    error = rejected(data)
    assert error.code == "unsupported_type"
    assert error.message == (
        "The file is not a PNG, JPEG, WebP, TIFF or PDF file (judged by its content, not its name)."
    )


def test_a_decompression_bomb_is_refused_by_pillows_guard():
    # 30,000 x 30,000 pixels declared in under 100 bytes: Pillow's DecompressionBombError.
    data = png_declaring(30_000, 30_000)
    assert len(data) < 100
    error = rejected(data)
    assert error.code == "too_many_pixels"
    assert error.message == (
        "The image declares more pixels than a receipt can have (at most 50 million per page)."
    )


def test_an_image_past_pillows_warning_is_refused_too():
    # 100 million pixels: Pillow only warns (DecompressionBombWarning) below twice its limit.
    assert rejected(png_declaring(10_000, 10_000)).code == "too_many_pixels"


def test_an_image_past_our_own_pixel_limit_is_refused_before_it_is_decoded():
    error = rejected(png_declaring(8_000, 8_000))
    assert error.code == "too_many_pixels"
    assert error.message == (
        "A page of 8000 x 8000 pixels is too large; a page may have at most 50 million pixels."
    )


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "TIFF"])
def test_a_truncated_image_is_damaged(fmt):
    data = receipt_image(fmt)
    error = rejected(data[: len(data) // 2])
    assert (error.code, error.message) == ("damaged", "The image is damaged and cannot be read.")


def test_a_pdf_of_500_pages_is_refused_without_rendering_or_loading_a_page():
    data = blank_pdf(500)
    with (
        mock.patch.object(pdfium.PdfDocument, "__getitem__") as page_loaded,
        mock.patch.object(pdfium.PdfPage, "render") as rendered,
    ):
        error = rejected(data)
    assert (error.code, error.message) == (
        "too_many_pages",
        "The file has 500 pages; a receipt may have at most 20.",
    )
    page_loaded.assert_not_called()
    rendered.assert_not_called()


def test_twenty_pages_is_the_most_a_pdf_may_have():
    assert receipt_file_inspect(blank_pdf(MAX_PAGES)).pages == 20
    assert rejected(blank_pdf(MAX_PAGES + 1)).code == "too_many_pages"


def test_a_tiff_of_too_many_frames_is_refused_without_walking_them_all():
    error = rejected(tiff_frames(MAX_PAGES + 5))
    assert error.message == "The file has more than 20 pages; a receipt may have at most 20."


def test_a_pdf_page_too_large_at_the_render_resolution_is_refused():
    # 30 x 30 inches at 300 DPI: 9,000 x 9,000 pixels.
    error = rejected(blank_pdf(1, width_pt=30 * 72, height_pt=30 * 72))
    assert error.message == (
        "A page of 9000 x 9000 pixels is too large; a page may have at most 50 million pixels."
    )


def test_a_pdf_behind_a_password_is_refused():
    error = rejected(receipt_pdf(user_password="secret"))
    assert (error.code, error.message) == (
        "encrypted",
        "The PDF is protected by a password; upload it without the password.",
    )


def test_a_pdf_only_restricted_by_its_owner_opens_and_is_accepted():
    # Invoicing tools often lock editing with an owner password; it opens and reads freely.
    assert receipt_file_inspect(receipt_pdf(owner_password="owner")).pages == 1


def test_a_damaged_pdf_is_refused():
    error = rejected(b"%PDF-1.7\n" + b"\x00garbage" * 40)
    assert (error.code, error.message) == ("damaged", "The PDF is damaged and cannot be read.")


def test_a_jpeg_with_extra_pictures_from_a_camera_is_one_page():
    out = io.BytesIO()
    photo, preview = Image.new("RGB", (120, 160), "white"), Image.new("RGB", (30, 40))
    photo.save(out, "MPO", save_all=True, append_images=[preview])
    inspected = receipt_file_inspect(out.getvalue())
    assert (inspected.content_type, inspected.pages) == ("image/jpeg", 1)


@pytest.mark.parametrize("size", [(1, 1), (7, 3), (1, 900)])
def test_a_jpeg_smaller_than_8_pixels_a_side_is_read_whole(size):
    # The damage check decodes a JPEG at an eighth of its size, never at less than a pixel.
    inspected = receipt_file_inspect(image_of(size, "JPEG"))
    assert (inspected.content_type, inspected.pages) == ("image/jpeg", 1)
