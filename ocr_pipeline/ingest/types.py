"""What ingest hands to the rest of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ocr_pipeline.model import Block, Line, ProcessingStep, Separator

if TYPE_CHECKING:
    import numpy as np


# A text-layer glyph without a Unicode mapping (a font embedded without its ToUnicode table), kept so that
# its place can be read by OCR (see ingest.pdf.read_text_layer).
UNMAPPED = "\ufffd"


@dataclass(slots=True)
class PageSource:
    """One page of an edition, not yet read."""

    path: Path
    index: int = 0  # page within a multi-page file (TIFF frame, PDF page), 0-based
    kind: str = "image"  # "image" | "pdf" | "alto" | "page"
    # Image a text file (ALTO/PAGE) refers to, when it can be found beside it.
    image_path: Path | None = None

    @property
    def label(self) -> str:
        return f"{self.path.name}#{self.index + 1}" if self.kind == "pdf" or self.index else self.path.name


@dataclass(slots=True)
class EditionSource:
    """An edition to convert: a PDF, a folder of page images, or files named together."""

    id: str
    root: Path
    pages: list[PageSource] = field(default_factory=list)
    # Inputs that could not even be listed as pages (unreadable PDF, missing file): (path, message).
    errors: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class PageImage:
    """A decoded page: 8-bit grayscale or BGR pixels.

    ``channels``: the channels the source had (1 gray, 3 colour, 4 with alpha or CMYK), also when it was
    decoded straight to grayscale; ``None`` when not known."""

    image: np.ndarray
    dpi: float | None = None
    channels: int | None = None


@dataclass(slots=True)
class TextPage:
    """A page whose text comes from a text layer or an imported OCR file, not from OCR."""

    width: int
    height: int
    lines: list[Line]
    dpi: float | None = None
    # Regions given by the imported file (ALTO TextBlocks, PAGE TextRegions), with reading order if known.
    blocks: list[Block] = field(default_factory=list)
    separators: list[Separator] = field(default_factory=list)
    reading_order: list[str] = field(default_factory=list)
    provenance: list[ProcessingStep] = field(default_factory=list)
