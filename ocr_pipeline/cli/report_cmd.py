"""``ocr-pipeline report``: rebuild report.html and report.json of a converted edition (no OCR)."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("report")
@click.argument("edition_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--low-confidence", type=click.FloatRange(0.0, 1.0), default=0.8, show_default=True,
              help="Lines and characters below this confidence are flagged and marked.")
@click.option("--fail-under", type=click.FloatRange(0.0, 1.0),
              help="Exit with status 1 when the quality score is below this.")
def report(edition_dir: Path, low_confidence: float, fail_under: float | None) -> None:
    """Rebuild EDITION_DIR/report.html and report.json from EDITION_DIR/edition.json.

    \b
    Examples:
      ocr-pipeline report output/zh-daily-2025-01-02
      ocr-pipeline report output/ed1 --low-confidence 0.9 --fail-under 0.9
    """
    from ocr_pipeline.report import build_report

    s = build_report(edition_dir, low_confidence=low_confidence)
    click.echo(f"{s.edition_id}: score {s.quality_score:.3f}, {s.pages} pages ({s.failed_pages} failed), "
               f"{s.articles} articles, {s.flags} flags, mean confidence {s.mean_confidence:.3f}, "
               f"{s.low_confidence_share:.1%} low characters; wrote {s.html_path} "
               f"({s.html_bytes / 1e6:.2f} MB) and {s.json_path.name if s.json_path else ''} "
               f"in {s.seconds:.2f} s")
    if fail_under is not None and s.quality_score < fail_under:
        click.echo(f"{s.edition_id}: quality score {s.quality_score:.3f} is below {fail_under}", err=True)
        sys.exit(1)
