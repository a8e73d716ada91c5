"""The edition stage: pages of one edition together; jump lines parsed, matched and stitched."""

from __future__ import annotations

from ocr_pipeline.edition.jumps import Jump, parse_jumps, strip_jumps
from ocr_pipeline.edition.stitch import Link, LinkReport, UnmatchedJump, link_continuations

__all__ = ["Jump", "Link", "LinkReport", "UnmatchedJump", "link_continuations", "parse_jumps", "strip_jumps"]
