"""The library's front door: ``convert`` inputs to editions on disk, as the CLI does.

>>> from ocr_pipeline.api import convert, ConvertSettings
>>> result = convert(["samples/zh-daily-1/scanned"], "output", ConvertSettings(lang="zh"))
>>> result.exit_code
0
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ocr_pipeline.errors import OcrPipelineError
from ocr_pipeline.export.options import ExportOptions
from ocr_pipeline.ingest.types import EditionSource, PageSource
from ocr_pipeline.model import Edition, Page
from ocr_pipeline.pipeline import Converter, EditionOutcome, PageResult, RunResult
from ocr_pipeline.settings import ConvertSettings
from ocr_pipeline.util.fs import atomic_write_bytes

log = logging.getLogger(__name__)

__all__ = ["ConvertSettings", "RunResult", "convert", "write_edition"]


def save_page_image(res: PageResult, edition_dir: Path) -> None:
    """The upright, straightened page image that the coordinates in edition.json refer to (for the report)."""
    if res.image is None:
        return
    import cv2

    ok, buf = cv2.imencode(".jpg", res.image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if ok:
        atomic_write_bytes(edition_dir / "pages" / f"page-{res.page.number:02d}.jpg", buf.tobytes())


def write_edition(edition: Edition, edition_dir: Path, export_options: ExportOptions | None = None) -> float:
    """Write every output of an edition into ``edition_dir`` (JSON, text, NewsML-G2, ALTO, report);
    returns the edition's quality score (0..1, see ``ocr_pipeline.report``)."""
    from ocr_pipeline.export import export_edition
    from ocr_pipeline.report import write_report

    export_edition(edition, edition_dir, options=export_options)
    return write_report(edition, edition_dir).quality_score


def convert(
    inputs: Sequence[str | Path],
    outdir: str | Path = "output",
    settings: ConvertSettings | None = None,
    *,
    on_page: Callable[[EditionSource, PageSource, Page], None] | None = None,
    on_editions: Callable[[list[EditionSource]], None] | None = None,
    export_options: ExportOptions | None = None,
) -> RunResult:
    """Convert every edition found in ``inputs`` into ``outdir``; never stops on a bad page or file."""
    from ocr_pipeline.ingest import discover

    settings = settings or ConvertSettings()
    out = Path(outdir)
    result = RunResult()
    editions = discover([Path(p) for p in inputs])
    if on_editions:
        on_editions(editions)
    converter = Converter(settings)
    for esrc in editions:
        started = time.perf_counter()
        errors = [f"{path}: {msg}" for path, msg in esrc.errors]
        if not esrc.pages:
            result.editions.append(EditionOutcome(id=esrc.id, outdir=None, status="failure",
                                                  errors=errors or [f"{esrc.root}: no pages found"]))
            continue

        def _progress(src: PageSource, page: Page, _e: EditionSource = esrc) -> None:
            if on_page:
                on_page(_e, src, page)

        edition_dir = out / esrc.id
        edition = converter.convert_edition(
            esrc, progress=_progress, page_sink=lambda res, d=edition_dir: save_page_image(res, d)
        )
        ok = sum(p.status == "ok" for p in edition.pages)
        failed = len(edition.pages) - ok
        errors += [e for p in edition.pages for e in p.errors]
        quality = 0.0
        try:
            quality = write_edition(edition, edition_dir, export_options)
            target: Path | None = edition_dir
        except OcrPipelineError as exc:
            errors.append(str(exc))
            target = None
        except OSError as exc:
            errors.append(f"{out / edition.id}: cannot write outputs: {exc}")
            target = None
        if target is None:
            quality = 0.0
        status = "success" if failed == 0 and not errors else ("failure" if ok == 0 or target is None else "partial")
        result.editions.append(EditionOutcome(id=esrc.id, outdir=target, status=status, pages_ok=ok,
                                              pages_failed=failed, errors=errors, quality=quality,
                                              seconds=time.perf_counter() - started))
    return result
