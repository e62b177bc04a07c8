"""Pages laid out in points, drawn by Pillow (an image at any dpi) or fpdf2 (a PDF with a
text layer), and the damage a phone or a scanner does to an image."""

import io
import logging
import random
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

from fpdf import FPDF
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

# fpdf2 subsets fonts through fontTools, which logs every glyph at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONTS_DIR = "/usr/share/fonts/truetype"
FONTS = {  # family: (regular, bold)
    "dejavu-sans": ("dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf"),
    "dejavu-mono": ("dejavu/DejaVuSansMono.ttf", "dejavu/DejaVuSansMono-Bold.ttf"),
    "dejavu-serif": ("dejavu/DejaVuSerif.ttf", "dejavu/DejaVuSerif-Bold.ttf"),
    "dejavu-condensed": ("dejavu/DejaVuSansCondensed.ttf", "dejavu/DejaVuSansCondensed-Bold.ttf"),
    "liberation-sans": (
        "liberation/LiberationSans-Regular.ttf",
        "liberation/LiberationSans-Bold.ttf",
    ),
    "liberation-serif": (
        "liberation/LiberationSerif-Regular.ttf",
        "liberation/LiberationSerif-Bold.ttf",
    ),
    "liberation-mono": (
        "liberation/LiberationMono-Regular.ttf",
        "liberation/LiberationMono-Bold.ttf",
    ),
    "liberation-narrow": (
        "liberation/LiberationSansNarrow-Regular.ttf",
        "liberation/LiberationSansNarrow-Bold.ttf",
    ),
}
DEGRADATIONS = ("none", "noise", "blur", "jpeg", "skew", "photo")


@dataclass(frozen=True)
class Text:
    x: float  # points from the left; where `align` puts the text
    y: float  # baseline, points from the top
    text: str
    size: float
    bold: bool = False
    align: str = "left"  # left, right, center


@dataclass
class Page:
    width: float
    height: float
    font: str
    texts: list[Text] = field(default_factory=list)
    rules: list[tuple[float, float, float, float]] = field(default_factory=list)

    def text(self, x: float, y: float, text: str, size: float, **style: object) -> None:
        self.texts.append(Text(x, y, text, size, **style))

    def rule(self, x1: float, y: float, x2: float) -> None:
        self.rules.append((x1, y, x2, y))

    def row(self, left: float, right: float, y: float, label: str, amount: str, size: float,
            bold: bool = False) -> None:  # fmt: skip
        self.text(left, y, label, size, bold=bold)
        self.text(right, y, amount, size, bold=bold, align="right")


@cache
def truetype(family: str, bold: bool, pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(f"{FONTS_DIR}/{FONTS[family][bold]}", pixels)


def fitting(font: str, text: str, size: float, bold: bool, width: float) -> float:
    """`size`, or smaller so that `text` fits in `width` points (a printer shrinks a long
    name rather than cut it)."""
    length = truetype(font, bold, 100).getlength(text) * size / 100
    return size if length <= width else size * width / length


def image_of(page: Page, dpi: float) -> Image.Image:
    scale = dpi / 72
    image = Image.new("L", (round(page.width * scale), round(page.height * scale)), 255)
    draw = ImageDraw.Draw(image)
    for x1, y1, x2, y2 in page.rules:
        line = (x1 * scale, y1 * scale, x2 * scale, y2 * scale)
        draw.line(line, fill=40, width=max(1, round(scale * 0.6)))
    for text in page.texts:
        font = truetype(page.font, text.bold, max(6, round(text.size * scale)))
        anchor = {"left": "ls", "right": "rs", "center": "ms"}[text.align]
        draw.text((text.x * scale, text.y * scale), text.text, font=font, fill=20, anchor=anchor)
    return image


# PDFs carry a creation date: a fixed one, so a seed gives the same bytes every time.
PDF_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def pdf_of(pages: list[Page], images: dict[int, Image.Image] | None = None) -> bytes:
    """A PDF with a text layer; pages in `images` are placed as pictures (scans) instead."""
    pdf = FPDF(unit="pt", format=(pages[0].width, pages[0].height))
    pdf.set_creation_date(PDF_DATE)
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    for family in {page.font for page in pages}:
        regular, bold = FONTS[family]
        pdf.add_font(family, "", f"{FONTS_DIR}/{regular}")
        pdf.add_font(family, "B", f"{FONTS_DIR}/{bold}")
    for number, page in enumerate(pages):
        pdf.add_page(format=(page.width, page.height))
        if images and number in images:
            buffer = io.BytesIO()
            images[number].save(buffer, "PNG")
            pdf.image(buffer, x=0, y=0, w=page.width, h=page.height)
            continue
        pdf.set_line_width(0.6)
        for x1, y1, x2, y2 in page.rules:
            pdf.line(x1, y1, x2, y2)
        for text in page.texts:
            pdf.set_font(page.font, "B" if text.bold else "", text.size)
            width = pdf.get_string_width(text.text)
            x = {"left": text.x, "right": text.x - width, "center": text.x - width / 2}[text.align]
            pdf.text(x, text.y, text.text)
    return bytes(pdf.output())


def _noise(rng: random.Random, size: tuple[int, int], sigma: float) -> Image.Image:
    """Gaussian noise centred on 128, from the seeded generator (Pillow's effect_noise
    cannot be seeded): uniform bytes mapped through the normal quantile function."""
    normal = statistics.NormalDist(128, sigma)
    table = [max(0, min(255, round(normal.inv_cdf((i + 0.5) / 256)))) for i in range(256)]
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1])).point(table)


def degraded(image: Image.Image, degradation: str, rng: random.Random) -> tuple[Image.Image, int]:
    """The degraded image and the JPEG quality it should be saved with (0: any)."""
    quality = 0
    if degradation in ("skew", "photo"):
        angle = rng.uniform(1, 4) * rng.choice((-1, 1))
        image = image.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if degradation == "photo":  # a lamp on one side: the paper from 75% to full brightness
        light = Image.linear_gradient("L").resize(image.size).point(lambda v: 190 + v // 4)
        if rng.random() < 0.5:
            light = light.transpose(Image.Transpose.ROTATE_180)
        image = ImageChops.multiply(image, light)
    if degradation in ("blur", "photo"):
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.1)))
    if degradation in ("noise", "photo"):
        image = ImageChops.add(image, _noise(rng, image.size, rng.uniform(12, 28)), 1, -128)
    if degradation in ("jpeg", "photo"):
        quality = rng.randint(25, 45)
    return image, quality


def encoded(image: Image.Image, output: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    if output == "jpeg":
        image.save(buffer, "JPEG", quality=quality or 88)
    elif output == "webp":
        image.save(buffer, "WEBP", quality=quality or 85)
    elif output == "tiff":
        image.save(buffer, "TIFF", compression="tiff_deflate")
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_damaged(image: Image.Image, quality: int) -> Image.Image:
    """The image as it comes back from a JPEG of `quality` (a scan saved small)."""
    if not quality:
        return image
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))
