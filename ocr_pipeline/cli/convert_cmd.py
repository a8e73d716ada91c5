"""``ocr-pipeline convert``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ocr_pipeline.engines import DEFAULT_ENGINE, REGISTRY


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", "outdir", default="output", show_default=True, type=click.Path(path_type=Path),
              help="Folder that receives one sub-folder per edition.")
@click.option("--engine", default=DEFAULT_ENGINE, show_default=True, type=click.Choice(list(REGISTRY)),
              help="OCR engine (see `ocr-pipeline engines`). ALTO/PAGE inputs are imported whatever this says.")
@click.option("--lang", default="zh", show_default=True, help="Main language of the edition: zh, en, de, …")
@click.option("--dpi", default=300, show_default=True, type=int, help="Resolution for rasterising PDF pages.")
@click.option("--threads", type=int, default=None, help="Threads inside the OCR engine (default: engine's own).")
@click.option("--device", default="cpu", show_default=True, type=click.Choice(["cpu", "cuda"]),
              help="Run the OCR models on the CPU or a CUDA GPU (needs the gpu extra).")
@click.option("--model-dir", type=click.Path(path_type=Path), default=None,
              help="Local model folder for engines that take one (paddleocr).")
@click.option("--no-text-layer", is_flag=True, help="OCR PDF pages even when they have a text layer.")
@click.option("--no-deskew", is_flag=True, help="Do not straighten skewed pages.")
@click.option("--layout", default="generic", show_default=True,
              help="Layout profile: a name from layouts/ (generic, zh-daily, en-broadsheet) or a TOML file.")
@click.option("--fail-under", type=click.FloatRange(0, 1), default=None,
              help="Exit with code 11 when an edition's quality score (see its report) is below this.")
@click.option("-j", "--jobs", default=1, show_default=True, type=click.IntRange(min=1),
              help="Pages converted at once, each in a worker process holding its own engine.")
@click.option("--force", is_flag=True, help="Redo every page, even those already converted into OUTPUT.")
@click.option("--retry-failed", is_flag=True, help="Redo the pages that failed in an earlier run into OUTPUT.")
@click.option("--page-timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds one page may take; a slower page is stopped and recorded as failed.")
@click.option("--log-file", type=click.Path(path_type=Path), default=None,
              help="Append a JSON line per page and per edition to this file.")
@click.option("--executor", default="local", show_default=True, type=click.Choice(["local", "ray"]),
              help="Where pages run: local worker processes, or actors on a Ray cluster (needs the ray extra).")
@click.option("--ray-address", default=None, metavar="HOST:PORT",
              help="With --executor ray: a running Ray cluster (e.g. HEAD:6379); default: start a local Ray "
                   "with --jobs CPUs. OUTPUT and INPUTS must be on a filesystem every node sees.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def convert(ctx: click.Context, inputs: tuple[Path, ...], outdir: Path, engine: str, lang: str, dpi: int,
            threads: int | None, device: str, model_dir: Path | None, no_text_layer: bool, no_deskew: bool,
            layout: str, fail_under: float | None, jobs: int, force: bool, retry_failed: bool,
            page_timeout: float | None, log_file: Path | None, executor: str, ray_address: str | None,
            quiet: bool) -> None:
    """Convert newspaper pages into articles and text.

    INPUTS are a PDF, a folder of page images, several page files (one edition), ALTO or PAGE XML files,
    or a folder of such folders and PDFs (an archive: each edition is converted on its own).

    A run into an OUTPUT folder that holds an earlier run's results converts only the pages that are new
    or changed (input, engine or settings) and assembles the editions again where needed; --force redoes
    everything. One run at a time may write to an OUTPUT folder. Ctrl-C stops after the pages in flight
    (exit code 130); run the same command again to go on.

    \b
    Examples:
      ocr-pipeline convert samples/zh-daily-1/scanned -o output/
      ocr-pipeline convert edition.pdf -o output/ --lang en
      ocr-pipeline convert p1.tif p2.tif p3.tif -o output/ --engine tesseract --lang en
      ocr-pipeline convert scans/*.alto.xml -o output/ --engine import
    """
    from ocr_pipeline.batch import BatchOptions, PageEvent, run_batch
    from ocr_pipeline.settings import ConvertSettings

    settings = ConvertSettings(engine=engine, lang=lang, dpi=dpi, threads=threads, device=device,
                               model_dir=str(model_dir) if model_dir else None, use_text_layer=not no_text_layer,
                               deskew=not no_deskew, layout=layout)
    options = BatchOptions(jobs=jobs, force=force, retry_failed=retry_failed, page_timeout=page_timeout,
                           log_file=log_file, executor=executor, ray_address=ray_address)
    bar = None
    show = not quiet and sys.stderr.isatty()
    failures = 0
    converted = 0
    t0 = [time.monotonic()]

    def on_editions(editions: list, todo: int) -> None:  # type: ignore[type-arg]
        nonlocal bar
        if show:
            from tqdm import tqdm

            total = sum(len(e.pages) for e in editions)
            # Pages taken from an earlier run count as done at once and do not enter the rate or the ETA.
            bar = tqdm(total=total, initial=total - todo, unit="page", file=sys.stderr, dynamic_ncols=True)
        t0[0] = time.monotonic()

    def on_page(ev: PageEvent) -> None:
        nonlocal failures, converted
        if ev.status != "ok":
            failures += 1
        if ev.skipped or bar is None:
            return
        converted += 1
        per_min = 60.0 * converted / max(1e-6, time.monotonic() - t0[0])
        bar.set_postfix(edition=ev.edition, failed=failures, pages_min=f"{per_min:.1f}", refresh=False)
        bar.update(1)

    result = run_batch(list(inputs), outdir, settings, options, on_page=on_page, on_editions=on_editions)
    if bar is not None:
        bar.close()
    if not result.editions and not result.interrupted:
        click.echo("error: no editions found in the inputs; give page images, PDFs or folders of them", err=True)
        ctx.exit(2)
    below = []
    for e in result.editions:
        where = f" -> {e.outdir}" if e.outdir else ""
        score = f", quality {e.quality:.3f}" if e.outdir else ""
        click.echo(f"{e.id}: {e.status}, {e.pages_ok} page(s) converted, {e.pages_failed} failed{score}{where}")
        for err in e.errors:
            click.echo(f"  error: {err}", err=True)
        if fail_under is not None and e.outdir and e.quality < fail_under:
            below.append(e.id)
    if result.pages_skipped:
        click.echo(f"{result.pages_skipped} page(s) taken from the earlier run in {outdir} (--force redoes them)")
    if result.interrupted:
        left = result.pages_total - result.pages_converted - result.pages_skipped
        click.echo(f"interrupted: {left} page(s) not converted yet; run the same command again to go on", err=True)
        ctx.exit(result.exit_code)
    if below:
        from ocr_pipeline.errors import EXIT_QUALITY

        click.echo(f"quality below {fail_under}: {', '.join(below)} (see report.html in each)", err=True)
        ctx.exit(result.exit_code or EXIT_QUALITY)
    ctx.exit(result.exit_code)
