"""``ocr-pipeline engines``."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def engines(as_json: bool) -> None:
    """List the OCR engines, whether each is available here, its version and models.

    \b
    Example:
      ocr-pipeline engines
    """
    from dataclasses import asdict

    from ocr_pipeline.engines import DEFAULT_ENGINE, list_engines

    infos = list_engines()
    if as_json:
        click.echo(json.dumps([asdict(i) for i in infos], ensure_ascii=False, indent=1))
        return
    for i in infos:
        mark = "available" if i.available else "not available"
        default = " (default)" if i.name == DEFAULT_ENGINE else ""
        click.echo(f"{i.name}{default}: {mark}" + (f", version {i.version}" if i.version else ""))
        if i.models:
            click.echo(f"    models: {', '.join(i.models)}")
        if i.description:
            click.echo(f"    {i.description}")
        if not i.available and i.reason:
            click.echo(f"    {i.reason}")
