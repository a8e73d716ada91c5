"""Evaluation: score an edition.json against ground truth (truth.json or PAGE XML).

Usage::

    from ocr_pipeline.evaluate import evaluate, load_ground_truth, load_prediction
    report = evaluate(load_ground_truth("truth.json"), load_prediction("output/ed/edition.json"))
    print(report.format_table()); report.to_dict()["overall"]["body_cer"]
"""

from __future__ import annotations

from ocr_pipeline.evaluate.core import EvalSettings, Truth, evaluate, load_ground_truth, load_prediction
from ocr_pipeline.evaluate.layoutmetrics import PageScore, order_edit_distance, score_page
from ocr_pipeline.evaluate.matching import match_texts
from ocr_pipeline.evaluate.normalize import body_text, normalize_text
from ocr_pipeline.evaluate.pages import TruthPage, TruthRegion, read_page_xml, read_reading_order
from ocr_pipeline.evaluate.report import ArticleScore, Link, PredictedArticle, Report
from ocr_pipeline.evaluate.textmetrics import PRF, boundary_prf, cer

__all__ = [
    "PRF",
    "ArticleScore",
    "EvalSettings",
    "Link",
    "PageScore",
    "PredictedArticle",
    "Report",
    "Truth",
    "TruthPage",
    "TruthRegion",
    "body_text",
    "boundary_prf",
    "cer",
    "evaluate",
    "load_ground_truth",
    "load_prediction",
    "match_texts",
    "normalize_text",
    "order_edit_distance",
    "read_page_xml",
    "read_reading_order",
    "score_page",
]
