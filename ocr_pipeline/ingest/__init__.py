"""Ingest: inputs (folders, PDFs, images, ALTO/PAGE files) -> editions of pages -> pixels or text.

Public API: :func:`discover`, :func:`load_image`, :func:`read_text_layer`, :func:`read_alto`,
:func:`read_page`, :func:`read_text_source`, and the types in :mod:`ocr_pipeline.ingest.types`.
"""

from __future__ import annotations

from ocr_pipeline.ingest.alto import read_alto
from ocr_pipeline.ingest.discover import discover
from ocr_pipeline.ingest.images import ImageHeader, load_image, read_image_header
from ocr_pipeline.ingest.pagexml import read_page
from ocr_pipeline.ingest.pdf import pdf_page_count, read_text_layer
from ocr_pipeline.ingest.types import EditionSource, PageImage, PageSource, TextPage


def read_text_source(src: PageSource, *, dpi: int = 300, keep_unmapped: bool = False) -> TextPage | None:
    """The page's text without OCR where it has one: ALTO/PAGE import, or a PDF text layer; else None.
    ``keep_unmapped``: see ``read_text_layer``."""
    if src.kind == "alto":
        return read_alto(src.path, image_path=src.image_path, default_dpi=dpi)
    if src.kind == "page":
        return read_page(src.path, image_path=src.image_path)
    if src.kind == "pdf":
        return read_text_layer(src, dpi=dpi, keep_unmapped=keep_unmapped)
    return None


__all__ = [
    "EditionSource",
    "ImageHeader",
    "PageImage",
    "PageSource",
    "TextPage",
    "discover",
    "load_image",
    "pdf_page_count",
    "read_alto",
    "read_image_header",
    "read_page",
    "read_text_layer",
    "read_text_source",
]
