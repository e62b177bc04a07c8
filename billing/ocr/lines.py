"""Lines of a receipt as read (words with tesseract's confidence, type size and place
across the page), and the repairs of what OCR typically misreads in them."""

import re
import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float  # 0..1, tesseract's word confidence; 1 for a PDF's text layer
    height: float = 0.0  # type size, pixels (points for a text layer): how prominent it is
    left: float = 0.0  # where it starts and ends across the page, in the same unit
    right: float = 0.0


@dataclass(frozen=True)
class Line:
    words: tuple[Word, ...]
    page: int = 0

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    @property
    def height(self) -> float:
        heights = [word.height for word in self.words if any(c.isalpha() for c in word.text)]
        return statistics.median(heights) if heights else 0.0

    def parts(self) -> list["Line"]:
        """The line cut where words are far apart: two columns that the layout analysis
        set on one line (a letterhead's name and the word INVOICE across the page)."""
        parts, words = [], [self.words[0]]
        for word in self.words[1:]:
            gap = word.left - words[-1].right
            if words[-1].right and gap > 2 * min(word.height, words[-1].height):
                parts.append(Line(tuple(words), self.page))
                words = []
            words.append(word)
        return [*parts, Line(tuple(words), self.page)]

    def confidence_of(self, start: int, end: int) -> float:
        """The least word confidence over the characters start..end of `text`."""
        position, found = 0, []
        for word in self.words:
            word_end = position + len(word.text)
            if position < end and word_end > start:
                found.append(word.confidence)
            position = word_end + 1
        return min(found) if found else 1.0


@dataclass(frozen=True)
class Found:
    value: object
    confidence: float


# --- OCR repairs ------------------------------------------------------------------------
# tesseract reads O for 0 and l/I for 1 inside numbers ("12.5O", "15/0l/2026"), and the
# reverse inside words ("T0TAL"); repaired by the token's majority kind.
_TOKEN = re.compile(r"[0-9OolI|SB]+(?:[.,:/'-][0-9OolI|SB]+)*")
_TO_DIGIT = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "|": "1"})
_WORD = re.compile(r"[A-Za-z0-9]+")
_TO_LETTER = str.maketrans({"0": "o", "1": "l", "5": "s"})


def digits_repaired(text: str) -> str:
    text = re.sub(r"(\d) ([.,]\d{2})(?!\d)", r"\1\2", text)  # "40 .02": a space read into a price
    # "21..60": a JPEG's ringing around the point read as a second one.
    text = re.sub(r"(\d)([.,])[.,]+(\d{2})(?!\d)", r"\1\2\3", text)
    # "CAS1,072.76", "S12.50": a dollar sign read as an S, right before a price with cents.
    text = re.sub(r"(?<![A-Za-z])(CA|C|A|US|NZ|HK)?S(?=\d[\d,]*\.\d{2}(?!\d))", r"\1$", text)

    def repair(match: re.Match) -> str:
        token = match.group(0)
        digits = sum(c.isdigit() for c in token)
        if digits and digits >= sum(c.isalpha() for c in token) * 2 and "S" not in token:
            return token.translate(_TO_DIGIT)
        return token

    return _TOKEN.sub(repair, text)


def label_repaired(text: str) -> str:
    """A label in lower case with digits read inside words put back as letters."""

    def repair(match: re.Match) -> str:
        token = match.group(0)
        letters = sum(c.isalpha() for c in token)
        return token.translate(_TO_LETTER) if letters >= 2 else token

    return _WORD.sub(repair, text).lower()


def lines_of_text(text: str) -> list[Line]:
    """Plain text as lines of words all read with certainty (a PDF's text layer, tests)."""
    return [
        Line(tuple(Word(word, 1.0) for word in raw.split()))
        for raw in text.splitlines()
        if raw.strip()
    ]
