"""A receipt's file `/o/<slug>/receipts/<id>/file` and first-page preview
`/o/<slug>/receipts/<id>/preview.png`: the organization's members only (viewers too), the
file as stored with headers a browser cannot misread, a preview of every type."""

import io

import pytest
from PIL import Image

from billing.services.receipts import receipt_upload
from tests.receipt_files import image_of, receipt_image, receipt_pdf, tiff_frames
from tokentracker.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(org, django_capture_on_commit_callbacks):
    """Store a receipt of `org` (or `organization=`); its reading is not run."""

    def stored(data: bytes, organization=None, filename: str = "Receipt.png"):
        with django_capture_on_commit_callbacks(execute=False):
            return receipt_upload(
                organization_id=(organization or org).id, data=data, filename=filename
            )

    return stored


def file_url(receipt, slug="acme"):
    return f"/o/{slug}/receipts/{receipt.pk}/file"


def preview_url(receipt, slug="acme"):
    return f"/o/{slug}/receipts/{receipt.pk}/preview.png"


def png_of(response) -> Image.Image:
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    return image


def test_a_member_gets_the_file_as_stored_with_safe_headers(client, org, sign_in, stored):
    sign_in(org, Role.MEMBER)
    data = receipt_image("JPEG")
    receipt = stored(data, filename='evil"; name=.html')
    response = client.get(file_url(receipt))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Length"] == str(len(data))
    assert response["Content-Disposition"] == f'inline; filename="receipt-{receipt.pk}.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["ETag"] == f'"{receipt.sha256}"'
    # Our own pages may frame it (the review page shows it beside the draft); no other site.
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]


def test_a_pdf_is_served_inline_as_a_pdf(client, org, sign_in, stored):
    sign_in(org, Role.MEMBER)
    receipt = stored(receipt_pdf(), filename="scan.png")
    response = client.get(file_url(receipt))
    assert (response["Content-Type"], response["Content-Disposition"]) == (
        "application/pdf",
        f'inline; filename="receipt-{receipt.pk}.pdf"',
    )


def test_a_viewer_reads_the_file_and_its_preview(client, org, sign_in, stored):
    sign_in(org, Role.VIEWER)
    receipt = stored(receipt_image())
    assert client.get(file_url(receipt)).status_code == 200
    assert client.get(preview_url(receipt)).status_code == 200


def test_the_browser_revalidates_its_copy_without_the_file_sent_again(client, org, sign_in, stored):
    sign_in(org, Role.MEMBER)
    receipt = stored(receipt_image())
    response = client.get(file_url(receipt), HTTP_IF_NONE_MATCH=f'"{receipt.sha256}"')
    assert response.status_code == 304
    assert response["Cache-Control"] == "private, max-age=3600"
    assert not response.content


def test_an_outsider_gets_a_404_for_another_organizations_receipt(
    client, org, outsider_org, sign_in, stored
):
    receipt = stored(receipt_image(), organization=org)
    sign_in(outsider_org, Role.OWNER)
    for url in (
        file_url(receipt, "outsider"),  # their own organization's address, our id
        preview_url(receipt, "outsider"),
        file_url(receipt, "acme"),  # our organization's address
        preview_url(receipt, "acme"),
    ):
        assert client.get(url).status_code == 404, url


def test_signed_out_visitors_are_sent_to_the_login_page(client, stored):
    receipt = stored(receipt_image())
    for url in (file_url(receipt), preview_url(receipt)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login?next=/o/acme/receipts/")


def test_an_unknown_or_overlong_id_is_a_404(client, org, sign_in):
    sign_in(org, Role.MEMBER)
    assert client.get("/o/acme/receipts/999/file").status_code == 404
    assert client.get(f"/o/acme/receipts/{2**64}/preview.png").status_code == 404


def test_a_file_gone_from_the_disk_is_a_404(client, org, sign_in, stored):
    sign_in(org, Role.MEMBER)
    receipt = stored(receipt_image())
    receipt.file.storage.delete(receipt.file.name)
    assert client.get(file_url(receipt)).status_code == 404
    assert client.get(preview_url(receipt)).status_code == 404


def test_only_reads_are_allowed(client, org, sign_in, stored):
    sign_in(org, Role.OWNER)
    receipt = stored(receipt_image())
    assert client.post(file_url(receipt)).status_code == 405
    assert client.head(file_url(receipt)).status_code == 200


def test_a_small_image_is_previewed_at_its_own_size(client, org, sign_in, stored):
    sign_in(org, Role.MEMBER)
    receipt = stored(receipt_image("WEBP"))
    response = client.get(preview_url(receipt))
    assert response.status_code == 200
    assert png_of(response).size == Image.open(io.BytesIO(receipt_image("PNG"))).size
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["ETag"] == f'"{receipt.sha256}-preview"'


def test_a_large_photo_is_scaled_to_1000_pixels_wide(client, org, sign_in, stored):
    sign_in(org, Role.MEMBER)
    receipt = stored(image_of((3000, 4000), "JPEG"))
    assert png_of(client.get(preview_url(receipt))).size == (1000, 1333)


def test_a_photo_is_previewed_upright_as_the_camera_recorded_it(client, org, sign_in, stored):
    sign_in(org, Role.MEMBER)
    photo = Image.new("L", (400, 300), 255)
    exif = photo.getexif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to view
    out = io.BytesIO()
    photo.save(out, "JPEG", exif=exif)
    receipt = stored(out.getvalue())
    assert png_of(client.get(preview_url(receipt))).size == (300, 400)


def test_a_tiff_is_previewed_by_its_first_page(client, org, sign_in, stored):
    sign_in(org, Role.MEMBER)
    receipt = stored(tiff_frames(3, size=(60, 80)))
    assert png_of(client.get(preview_url(receipt))).size == (60, 80)


def test_a_pdf_is_previewed_by_its_first_page_rendered(client, org, sign_in, stored):
    sign_in(org, Role.MEMBER)
    receipt = stored(receipt_pdf())
    preview = png_of(client.get(preview_url(receipt)))
    # An 80 x 120 mm page (226.8 x 340.2 points) at four times its size in points, the
    # most it is enlarged; pdfium rounds a fraction of a pixel up.
    assert preview.size == (908, 1361)
    # The text is drawn: the page is not blank.
    assert preview.convert("L").getextrema()[0] < 100
