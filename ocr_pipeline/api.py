"""The library's front door: ``convert`` inputs to editions on disk, as the CLI does.

>>> from ocr_pipeline.api import convert, ConvertSettings
>>> result = convert(["samples/zh-daily-1/scanned"], "output", ConvertSettings(lang="zh"))
>>> result.exit_code
0
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ocr_pipeline.export.options import ExportOptions
from ocr_pipeline.ingest.types import EditionSource, PageSource
from ocr_pipeline.model import Edition, Page
from ocr_pipeline.pipeline import PageResult, RunResult
from ocr_pipeline.settings import ConvertSettings
from ocr_pipeline.util.fs import PendingWrites, write_file

if TYPE_CHECKING:
    from ocr_pipeline.batch import BatchOptions

log = logging.getLogger(__name__)

__all__ = ["ConvertSettings", "RunResult", "convert", "write_edition"]


def save_page_image(res: PageResult, edition_dir: Path, pending: PendingWrites | None = None) -> None:
    """The upright, straightened page image that the coordinates in edition.json refer to, and its thumbnail
    for the report (``report.build.thumbnail_file``).

    ``pending``: the files are written in the writing threads once they are encoded (in place when
    ``pending.wait()`` returns), instead of waiting for the encoding here."""
    if res.image is None:
        return
    from ocr_pipeline.pipeline import encode_jpeg
    from ocr_pipeline.report.build import make_thumbnail, thumbnail_file

    image, made = res.image, res.thumbnail
    path = edition_dir / "pages" / f"page-{res.page.number:02d}.jpg"
    thumb_path = thumbnail_file(path)

    def thumbnail() -> bytes | None:
        data = made.result() if made is not None else make_thumbnail(image)
        if data is None:  # it could not be encoded: no file, and none left from an earlier run
            thumb_path.unlink(missing_ok=True)
        return data

    write_file(path, res.jpeg.result if res.jpeg is not None else lambda: encode_jpeg(image), pending)
    write_file(thumb_path, thumbnail, pending)


def write_edition(edition: Edition, edition_dir: Path, export_options: ExportOptions | None = None) -> float:
    """Write every output of an edition into ``edition_dir`` (JSON, text, NewsML-G2, ALTO, report);
    returns the edition's quality score (0..1, see ``ocr_pipeline.report``)."""
    from ocr_pipeline.export import export_edition, finish_writes
    from ocr_pipeline.report import write_report
    from ocr_pipeline.report.build import Thumbnails

    # The report's thumbnails are decoded while the exports are made, on the cores that Python leaves; the
    # export files are written meanwhile too, in the writing threads.
    thumbnails = Thumbnails(edition, Path(edition_dir), threads=max(1, min(4, (os.cpu_count() or 1) - 1)))
    pending = PendingWrites()
    try:
        export_edition(edition, edition_dir, options=export_options, pending=pending)
        return write_report(edition, edition_dir, thumbnails=thumbnails).quality_score
    finally:
        thumbnails.close()
        finish_writes(pending, Path(edition_dir))


def convert(
    inputs: Sequence[str | Path],
    outdir: str | Path = "output",
    settings: ConvertSettings | None = None,
    *,
    on_page: Callable[[EditionSource, PageSource, Page], None] | None = None,
    on_editions: Callable[[list[EditionSource]], None] | None = None,
    export_options: ExportOptions | None = None,
    batch: BatchOptions | None = None,
) -> RunResult:
    """Convert every edition found in ``inputs`` into ``outdir``; never stops on a bad page or file.

    A batch run (``ocr_pipeline.batch.run_batch``): ``outdir`` is locked for the run, pages whose input,
    engine and settings are unchanged since an earlier run into the same ``outdir`` are taken from its page
    cache (``batch=BatchOptions(force=True)`` redoes them), and ``batch.jobs`` pages run in parallel.
    ``on_page`` gets a page's status and errors only (a ``Page`` without lines: the page may have been
    converted in another process or taken from the cache)."""
    from ocr_pipeline.batch import BatchOptions as _BatchOptions
    from ocr_pipeline.batch import PageEvent, run_batch

    sources: dict[str, EditionSource] = {}

    def _editions(editions: list[EditionSource], _todo: int) -> None:
        sources.update((e.id, e) for e in editions)
        if on_editions:
            on_editions(editions)

    def _page(ev: PageEvent) -> None:
        if on_page is None:
            return
        esrc = sources[ev.edition]
        src = esrc.pages[ev.page - 1]
        page = Page(number=ev.page, source=src.path.name, width=0, height=0, source_index=src.index,
                    status=ev.status, errors=[ev.error] if ev.error else [])
        on_page(esrc, src, page)

    return run_batch(inputs, outdir, settings, batch or _BatchOptions(), export_options=export_options,
                     on_editions=_editions, on_page=_page)
