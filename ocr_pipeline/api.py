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
from ocr_pipeline.ingest.types import EditionSource, PageSource
from ocr_pipeline.model import Edition, Page
from ocr_pipeline.pipeline import Converter, EditionOutcome, RunResult, page_text
from ocr_pipeline.settings import ConvertSettings
from ocr_pipeline.util.fs import atomic_write_text

log = logging.getLogger(__name__)

__all__ = ["ConvertSettings", "RunResult", "convert", "write_edition"]


def write_edition(edition: Edition, outdir: Path, settings: ConvertSettings) -> Path:
    """Write ``outdir/<edition-id>/`` (edition.json and the text export); returns that folder."""
    from ocr_pipeline import model

    target = outdir / edition.id
    target.mkdir(parents=True, exist_ok=True)
    model.dump(edition, target / "edition.json")
    chunks: list[str] = []
    for page in edition.pages:
        if page.status != "ok":
            chunks.append(f"[page {page.number}: not converted: {'; '.join(page.errors)}]")
            continue
        chunks.extend(page_text(page, settings.script))
    atomic_write_text(target / "text" / "edition.txt", "\n\n".join(chunks) + "\n")
    return target


def convert(
    inputs: Sequence[str | Path],
    outdir: str | Path = "output",
    settings: ConvertSettings | None = None,
    *,
    on_page: Callable[[EditionSource, PageSource, Page], None] | None = None,
    on_editions: Callable[[list[EditionSource]], None] | None = None,
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

        edition = converter.convert_edition(esrc, progress=_progress)
        ok = sum(p.status == "ok" for p in edition.pages)
        failed = len(edition.pages) - ok
        errors += [e for p in edition.pages for e in p.errors]
        try:
            target: Path | None = write_edition(edition, out, settings)
        except OcrPipelineError as exc:
            errors.append(str(exc))
            target = None
        except OSError as exc:
            errors.append(f"{out / edition.id}: cannot write outputs: {exc}")
            target = None
        status = "success" if failed == 0 and not errors else ("failure" if ok == 0 or target is None else "partial")
        result.editions.append(EditionOutcome(id=esrc.id, outdir=target, status=status, pages_ok=ok,
                                              pages_failed=failed, errors=errors,
                                              seconds=time.perf_counter() - started))
    return result
