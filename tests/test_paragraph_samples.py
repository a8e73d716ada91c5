"""Paragraph boundaries on the committed sample editions, from perfect lines.

The ground truth's own lines (exact text and boxes, no OCR) go through layout, articles and text, so the
score measures paragraph finding (and the layout it stands on) without recognition errors. What is left
below 1.0 comes from layout: crossheads split over two blocks or taken for headlines, captions merged into
body blocks, blocks of one article put into another."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocr_pipeline import model
from ocr_pipeline.evaluate import evaluate
from ocr_pipeline.evaluate.perfect import edition_from_truth_lines

SAMPLES = Path(__file__).resolve().parents[1] / "samples"

# Measured 2026-11-27 (issue 5 text rules, layout of commit 3336c3c): zh-daily-1 0.976 (P 0.98 R 0.97),
# zh-daily-2 0.937 (P 0.91 R 0.96), en-daily-1 1.000; before them 0.968, 0.903, 0.992; before the
# row/edge/crosshead work 0.944, 0.842, 0.964.
EDITIONS = [("zh-daily-1", "zh", 0.96), ("zh-daily-2", "zh", 0.92), ("en-daily-1", "en", 0.98)]


@pytest.mark.parametrize("edition,lang,bound", EDITIONS)
def test_paragraph_boundaries_from_perfect_lines(edition: str, lang: str, bound: float) -> None:
    truth = model.load(SAMPLES / edition / "truth.json")
    pred = edition_from_truth_lines(truth, lang)
    prf = evaluate(truth, pred).to_dict()["overall"]["paragraph_boundaries"]
    assert prf["tp"] >= 40, prf  # enough matched boundaries for the score to mean something
    assert prf["f1"] >= bound, prf
