"""Sample editions with ground truth: a seeded generator of newspaper pages written for this project.

``generate_edition(outdir, lang, seed, npages)`` writes clean PNG pages, scanned JPEG pages (one of them
turned 90°), a scanned PDF, a born-digital PDF with a text layer and ``truth.json`` (the document model).
"""

from __future__ import annotations

from ocr_pipeline.samplegen.generator import STANDARD_SET, GeneratedEdition, build_edition, generate_edition

__all__ = ["STANDARD_SET", "GeneratedEdition", "build_edition", "generate_edition"]
