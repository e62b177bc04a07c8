"""A receipt's file and its first page as a PNG, for the organization's members only (an
outsider, or another organization's receipt id, is a 404 like a missing one).

Receipts are stored privately (RECEIPTS_ROOT, never under a URL the web server serves), so
these views are the only way to them. The file goes out with the content type its content
was judged to be at upload (an image or a PDF, never HTML or SVG), `nosniff` so a browser
takes it as that, inline under a name we make (never the uploaded one), cacheable by the
browser alone, and frameable by our own pages only (the review page shows it beside the
draft).
"""

import logging

import pypdfium2 as pdfium
from csp.decorators import csp_replace
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe
from PIL import Image

from billing.models import Receipt
from billing.ocr.previews import receipt_preview_png
from billing.selectors.expenses import receipt_of_organization
from tokentracker.models import Membership
from tokentracker.pages import organization_page

logger = logging.getLogger(__name__)

EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/tiff": "tiff",
    "application/pdf": "pdf",
}
# The file of a receipt never changes under its id; a browser may keep it for an hour.
CACHE_SECONDS = 3600
MAX_ID = 2**63 - 1
_FRAMED_BY_OUR_PAGES = {"frame-ancestors": ["'self'"]}


def receipt_download_name(receipt: Receipt) -> str:
    """The name a receipt's file is served under: made from its id and type, so no uploaded
    name (quotes, paths, an .html extension) reaches a header."""
    return f"receipt-{receipt.pk}.{EXTENSIONS.get(receipt.content_type, 'bin')}"


def _private(response: HttpResponse, etag: str) -> HttpResponse:
    response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, max_age=CACHE_SECONDS)
    patch_vary_headers(response, ["Cookie", "Authorization"])
    return response


def receipt_file_response(request: HttpRequest, receipt: Receipt) -> HttpResponse:
    """The receipt's file, streamed, with the headers above (the page and the native API
    serve it alike); Http404 when the file is gone."""
    etag = f'"{receipt.sha256}"'
    unchanged = get_conditional_response(request, etag=etag)
    if unchanged is not None:
        return _private(unchanged, etag)
    try:
        handle = receipt.file.storage.open(receipt.file.name, "rb")
    except FileNotFoundError:
        raise Http404("This receipt's file is missing.") from None
    response = FileResponse(
        handle,
        content_type=receipt.content_type,
        as_attachment=False,
        filename=receipt_download_name(receipt),
    )
    return _private(response, etag)


def _receipt(membership: Membership, receipt_id: int) -> Receipt:
    # An id past the database's bigint would be a DataError, not a missing receipt.
    receipt = (
        receipt_of_organization(membership.organization_id, receipt_id)
        if receipt_id <= MAX_ID
        else None
    )
    if receipt is None:
        raise Http404("No such receipt.")
    return receipt


@require_safe
@organization_page()
@xframe_options_sameorigin
@csp_replace(_FRAMED_BY_OUR_PAGES)
@csp_replace(_FRAMED_BY_OUR_PAGES, REPORT_ONLY=True)
def receipt_file_page(
    request: HttpRequest, membership: Membership, receipt_id: int
) -> HttpResponse:
    return receipt_file_response(request, _receipt(membership, receipt_id))


@require_safe
@organization_page()
@xframe_options_sameorigin
@csp_replace(_FRAMED_BY_OUR_PAGES)
@csp_replace(_FRAMED_BY_OUR_PAGES, REPORT_ONLY=True)
def receipt_preview_page(
    request: HttpRequest, membership: Membership, receipt_id: int
) -> HttpResponse:
    receipt = _receipt(membership, receipt_id)
    etag = f'"{receipt.sha256}-preview"'
    unchanged = get_conditional_response(request, etag=etag)
    if unchanged is not None:
        return _private(unchanged, etag)
    try:
        with receipt.file.storage.open(receipt.file.name, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise Http404("This receipt's file is missing.") from None
    try:
        png = receipt_preview_png(data, receipt.content_type)
    except (OSError, ValueError, pdfium.PdfiumError, Image.DecompressionBombError):
        # Checked at upload, so only a file damaged past its first page's header: the page
        # shows the link to the file instead.
        logger.warning("no preview of receipt %s", receipt.pk, exc_info=True)
        raise Http404("This receipt has no preview.") from None
    return _private(HttpResponse(png, content_type="image/png"), etag)
