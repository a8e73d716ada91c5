"""The quality report: where a reviewer should look first, with the page in front of them.

``build_report(edition_dir)`` rebuilds ``report.html`` (self-contained: thumbnails, SVG overlays, inline
CSS/JS) and ``report.json`` from ``edition.json``; ``write_report(edition, edition_dir)`` does the same for
an edition in memory. ``compute_flags`` lists what to review, worst first; ``quality_score`` is the
0..1 figure a batch compares against (``convert --fail-under``).
"""

from __future__ import annotations

from ocr_pipeline.report.build import ReportSummary, build_report, write_report
from ocr_pipeline.report.flags import compute_flags
from ocr_pipeline.report.score import quality_score

__all__ = ["ReportSummary", "build_report", "compute_flags", "quality_score", "write_report"]
