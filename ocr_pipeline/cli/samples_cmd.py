"""``ocr-pipeline samples make``: write sample editions with ground truth."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def samples() -> None:
    """Sample newspaper editions with ground truth (generated, seeded, reproducible)."""


@samples.command("make")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
              help="Language of one edition; without it the standard set committed in samples/ is written.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the edition (layout, scan noise).")
@click.option("--pages", type=int, default=3, show_default=True, help="Pages in the edition (2-6).")
@click.option("--id", "edition_id", default=None, help="Edition id (folder name); default <lang>-daily-<seed>.")
def make(outdir: Path, lang: str | None, seed: int, pages: int, edition_id: str | None) -> None:
    """Render editions into OUTDIR/<edition-id>/ (clean/, scanned/, scanned.pdf, digital.pdf, truth.json).

    \b
    Examples:
      ocr-pipeline samples make samples/                 # the committed set
      ocr-pipeline samples make /tmp/s --lang en --seed 7 --pages 4
    """
    from ocr_pipeline.samplegen import STANDARD_SET, generate_edition

    jobs = [(edition_id, lang, seed, pages)] if lang else list(STANDARD_SET)
    for eid, lg, sd, n in jobs:
        g = generate_edition(outdir, lg, sd, n, eid)
        e = g.edition
        jumps = sum(1 for a in e.articles if a.continuation)
        click.echo(f"{g.folder}: {len(e.pages)} pages, {len(e.articles)} articles, {jumps} jumps")
