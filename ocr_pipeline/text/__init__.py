"""Text reconstruction: lines -> paragraphs, joins across lines/columns/blocks, normalisation, repair of
text dumps whose paragraphs were cut at column ends.

jieba and wordfreq are imported on first use, so importing this package stays cheap.
"""

from __future__ import annotations

from ocr_pipeline.text.join import ends_sentence, join_forms_word, join_text, keep_hyphen
from ocr_pipeline.text.normalize import normalize_text, strip_edge_artifacts
from ocr_pipeline.text.paragraphs import (
    JoinDecision,
    MergeResult,
    ParagraphSettings,
    Piece,
    build_pieces,
    decision_flags,
    merge_pieces,
    merge_pieces_detailed,
)
from ocr_pipeline.text.repair import RepairResult, repair_text

__all__ = [
    "JoinDecision",
    "MergeResult",
    "ParagraphSettings",
    "Piece",
    "RepairResult",
    "build_pieces",
    "decision_flags",
    "ends_sentence",
    "join_forms_word",
    "join_text",
    "keep_hyphen",
    "merge_pieces",
    "merge_pieces_detailed",
    "normalize_text",
    "repair_text",
    "strip_edge_artifacts",
]
