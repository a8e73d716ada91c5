"""Engines that read text instead of recognising it: a PDF's text layer, or an imported OCR file."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar

from ocr_pipeline.engines.base import EngineInfo, OcrEngine
from ocr_pipeline.errors import BadInputError, EngineError
from ocr_pipeline.util.dist import dist_version

if TYPE_CHECKING:
    import numpy as np

    from ocr_pipeline.ingest.types import PageSource, TextPage
    from ocr_pipeline.model import BBox, Line

logger = logging.getLogger(__name__)


class _TextSourceEngine(OcrEngine):
    needs_image: ClassVar[bool] = False
    # The distribution that does the reading; the engine is available when it is installed.
    requires: ClassVar[str] = ""

    @classmethod
    def info(cls) -> EngineInfo:
        ver = dist_version(cls.requires)
        ok = bool(ver)
        return EngineInfo(
            name=cls.name,
            available=ok,
            version=ver,
            reason="" if ok else f"{cls.requires} is not installed: pip install {cls.requires}",
            description=cls.description,
        )

    def recognize(self, image: np.ndarray, *, regions: list[BBox] | None = None) -> list[Line]:
        raise EngineError(
            f"the {self.name!r} engine reads text from files and cannot OCR an image; choose an OCR engine "
            "(ppocr, tesseract) for scanned pages"
        )

    def read(self, src: PageSource, *, dpi: int) -> TextPage:
        raise NotImplementedError


class PdfTextEngine(_TextSourceEngine):
    """The text layer of a born-digital PDF page, read with PDFium: exact text, no OCR."""

    name: ClassVar[str] = "pdf-text"
    description: ClassVar[str] = "PDF text layer (PDFium): characters with positions, no OCR"
    requires: ClassVar[str] = "pypdfium2"

    def read(self, src: PageSource, *, dpi: int) -> TextPage:
        """Lines of the page's text layer at ``dpi``; ``BadInputError`` when the page has none."""
        from ocr_pipeline.ingest.pdf import read_text_layer

        if src.kind != "pdf":
            raise BadInputError("the pdf-text engine reads PDF pages only; use an OCR engine", path=str(src.path))
        page = read_text_layer(src, dpi=dpi)
        if page is None:
            raise BadInputError(
                f"page {src.index + 1} has no usable text layer (scanned or unmapped fonts); convert it with an "
                "OCR engine (e.g. --engine ppocr)",
                path=str(src.path),
            )
        return page


class ImportEngine(_TextSourceEngine):
    """An existing OCR file (ALTO v2-v4, PAGE 2013/2019) as the text of a page."""

    name: ClassVar[str] = "import"
    description: ClassVar[str] = "import existing OCR: ALTO v2-v4, PAGE 2013/2019 (lxml)"
    requires: ClassVar[str] = "lxml"

    def read(self, src: PageSource, *, dpi: int) -> TextPage:
        """Text of an ALTO/PAGE page source. ``dpi`` is used only for ALTO files in inch1200/mm10 units
        whose image (and so its resolution) is unknown."""
        if src.kind == "alto":
            from ocr_pipeline.ingest.alto import read_alto

            return read_alto(src.path, image_path=src.image_path, default_dpi=dpi)
        if src.kind == "page":
            from ocr_pipeline.ingest.pagexml import read_page

            return read_page(src.path, image_path=src.image_path)
        raise BadInputError(
            "the import engine needs an ALTO or PAGE file for this page; use an OCR engine for images",
            path=str(src.path),
        )
