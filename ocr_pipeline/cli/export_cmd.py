"""``ocr-pipeline export``: rebuild the exports of a converted edition from its edition.json (no OCR)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("export")
@click.argument("edition_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-f", "--format", "formats", default="text,newsml,alto", show_default=True,
              help="Comma-separated formats: json, text, newsml, alto.")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Write here instead of EDITION_DIR.")
@click.option("--provider", help="Provider's internet domain for NewsML-G2 guids, e.g. example-daily.com.")
@click.option("--provider-name", help="Provider's display name.")
@click.option("--copyright-holder", help="Copyright holder named in NewsML-G2 rightsInfo.")
@click.option("--title", help="Edition title (overrides the one in edition.json).")
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TOML file with these options (keys at top level or under [export]).")
def export(edition_dir: Path, formats: str, output: Path | None, provider: str | None,
           provider_name: str | None, copyright_holder: str | None, title: str | None,
           config: Path | None) -> None:
    """Rebuild text, NewsML-G2 and ALTO exports from EDITION_DIR/edition.json, without OCR.

    \b
    Examples:
      ocr-pipeline export output/zh-daily-2025-01-02
      ocr-pipeline export output/ed1 --format newsml --provider example-daily.com --copyright-holder "Example Daily"
    """
    from ocr_pipeline.export import ExportOptions, export_edition, load_config, parse_formats
    from ocr_pipeline.model import load_edition_folder

    fmts = parse_formats(formats)
    options = load_config(config) if config else ExportOptions()
    options = options.replace(provider=provider, provider_name=provider_name,
                              copyright_holder=copyright_holder, title=title)
    edition = load_edition_folder(edition_dir)
    result = export_edition(edition, output or edition_dir, fmts, options)
    parts = ", ".join(f"{len(v)} {k}" for k, v in result.files.items())
    click.echo(f"{edition.id}: wrote {parts} file(s) to {result.outdir} in {result.seconds:.2f} s")
