"""``ocr-pipeline rebuild``: assemble editions, exports and reports again from a run's page cache (no OCR)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("rebuild")
@click.argument("outdir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--layout", default=None,
              help="Layout profile to assemble with (default: the one the pages were converted with).")
@click.option("-e", "--edition", "editions", multiple=True, help="Only this edition id (repeatable).")
@click.option("--provider", help="Provider's internet domain for NewsML-G2 guids, e.g. example-daily.com.")
@click.option("--provider-name", help="Provider's display name.")
@click.option("--copyright-holder", help="Copyright holder named in NewsML-G2 rightsInfo.")
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TOML file with export options (keys at top level or under [export]).")
@click.pass_context
def rebuild(ctx: click.Context, outdir: Path, layout: str | None, editions: tuple[str, ...], provider: str | None,
            provider_name: str | None, copyright_holder: str | None, config: Path | None) -> None:
    """Re-run the stages after OCR (continuations, exports, report) for every edition in OUTDIR, from the
    page cache that `ocr-pipeline convert` left there.

    \b
    Examples:
      ocr-pipeline rebuild output/
      ocr-pipeline rebuild output/ --layout zh-daily -e zh-daily-2025-01-02
    """
    from ocr_pipeline.batch import rebuild as run_rebuild
    from ocr_pipeline.export import ExportOptions, load_config

    options = None
    if config or provider or provider_name or copyright_holder:
        options = (load_config(config) if config else ExportOptions()).replace(
            provider=provider, provider_name=provider_name, copyright_holder=copyright_holder)
    result = run_rebuild(outdir, layout=layout, export_options=options, editions=list(editions) or None)
    for e in result.editions:
        where = f" -> {e.outdir}" if e.outdir else ""
        score = f", quality {e.quality:.3f}" if e.outdir else ""
        click.echo(f"{e.id}: {e.status}, {e.pages_ok} page(s), {e.pages_failed} failed{score}{where}")
        for err in e.errors:
            click.echo(f"  error: {err}", err=True)
    ctx.exit(result.exit_code)
