"""``ocr-pipeline evaluate GROUND_TRUTH EDITION_JSON``: print the metrics table, optionally write JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("evaluate")
@click.argument("ground_truth", type=click.Path(exists=True, path_type=Path))
@click.argument("edition_json", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the full report as JSON here (metrics.json).")
@click.option("--match-threshold", type=float, default=0.3, show_default=True,
              help="Least n-gram similarity for an output article to match a truth article.")
@click.option("--boundary-tolerance", type=int, default=2, show_default=True,
              help="Characters a paragraph boundary may be off and still count.")
def evaluate(ground_truth: Path, edition_json: Path, output: Path | None, match_threshold: float,
             boundary_tolerance: int) -> None:
    """Score EDITION_JSON against GROUND_TRUTH (truth.json, a PAGE XML file, or a folder of PAGE files).

    \b
    Examples:
      ocr-pipeline evaluate samples/zh-daily-1/truth.json output/zh-daily-1/edition.json -o metrics.json
      ocr-pipeline evaluate ../shared/real/nzz/nzz_18701230_0_0_a1_p1_1.page.xml output/nzz/edition.json
    """
    from ocr_pipeline.evaluate import EvalSettings, load_ground_truth, load_prediction
    from ocr_pipeline.evaluate import evaluate as run_evaluation
    from ocr_pipeline.util.fs import atomic_write_text

    settings = EvalSettings(match_threshold=match_threshold, boundary_tolerance=boundary_tolerance)
    report = run_evaluation(
        load_ground_truth(ground_truth),
        load_prediction(edition_json),
        settings=settings,
        truth_name=str(ground_truth),
        prediction_name=str(edition_json),
    )
    click.echo(report.format_table())
    if output is not None:
        atomic_write_text(output, json.dumps(report.to_dict(), ensure_ascii=False, indent=1) + "\n")
        click.echo(f"wrote {output}")
