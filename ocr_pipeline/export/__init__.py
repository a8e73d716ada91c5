"""Exports of an edition: JSON (the full model), clean text, NewsML-G2 2.35 and ALTO 4.4.

``export_edition(edition, outdir)`` writes, under ``outdir``::

    edition.json
    text/NN-<slug>.txt, text/edition.txt
    newsml/edition.xml (newsMessage), newsml/package.xml, newsml/items/NN-<slug>.xml
    alto/page-NN.xml

Every file is written atomically. Files a previous export left under those folders with the same
naming pattern (an article renamed or dropped since) are removed, so the folder always matches the
edition. Text that XML cannot carry is stripped as documented in ``export._common``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ocr_pipeline.errors import ConfigError, ExportError
from ocr_pipeline.export.options import FORMATS, ExportOptions, load_config
from ocr_pipeline.model import Edition, to_json_bytes
from ocr_pipeline.util.fs import PendingWrites

__all__ = ["FORMATS", "ExportOptions", "ExportResult", "export_edition", "load_config", "parse_formats"]

log = logging.getLogger(__name__)

# Names this package writes; only these are ever removed as stale.
_STALE_PATTERNS = {
    "text": ("text", re.compile(r"^\d{2,}-.+\.txt$")),
    "newsml": ("newsml/items", re.compile(r"^\d{2,}-.+\.xml$")),
    "alto": ("alto", re.compile(r"^page-\d{2,}\.xml$")),
}


@dataclass(slots=True)
class ExportResult:
    outdir: Path
    files: dict[str, list[Path]] = field(default_factory=dict)
    removed: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.files.values())


def parse_formats(spec: str | Iterable[str]) -> tuple[str, ...]:
    """"text,newsml" or ["text", "newsml"] -> validated, de-duplicated tuple in canonical order."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    wanted = {s.strip().lower() for s in items if s.strip()}
    unknown = wanted - set(FORMATS)
    if unknown:
        raise ConfigError(f"unknown export format(s) {', '.join(sorted(unknown))}; choose from {', '.join(FORMATS)}")
    if not wanted:
        raise ConfigError(f"no export format given; choose from {', '.join(FORMATS)}")
    return tuple(f for f in FORMATS if f in wanted)


def export_edition(
    edition: Edition,
    outdir: str | Path,
    formats: str | Iterable[str] = FORMATS,
    options: ExportOptions | None = None,
    pending: PendingWrites | None = None,
) -> ExportResult:
    """Write the chosen exports of ``edition`` under ``outdir``; raises ExportError when a file cannot
    be written.

    The files are written in the writing threads while the next format is made. ``pending``: they are added
    to it and may still be running on return (the caller waits, as ``api.write_edition`` does after the
    report); else they are all in place when this returns."""
    from ocr_pipeline.export import side
    from ocr_pipeline.export.alto import alto_path, write_alto
    from ocr_pipeline.export.jsonout import write_json
    from ocr_pipeline.export.newsml import write_newsml
    from ocr_pipeline.export.text import write_text

    fmts = parse_formats(formats)
    options = options or ExportOptions()
    out = Path(outdir)
    result = ExportResult(outdir=out)
    start = time.perf_counter()
    writes = pending if pending is not None else PendingWrites()
    try:
        alto_aside = "alto" in fmts and side.available() and bool(edition.pages)
        data = to_json_bytes(edition) if "json" in fmts or alto_aside else None
        if alto_aside and data is not None:
            # Made in the side process meanwhile (the largest export, see export.side), from the same JSON.
            made, request = side.write_alto(edition, data, out)
            writes.add(made, helper=request.help)
            result.files["alto"] = [alto_path(out, p) for p in edition.pages]
        for fmt in fmts:
            if fmt == "json":
                result.files[fmt] = write_json(edition, out, writes, data=data)
            elif fmt == "text":
                result.files[fmt] = write_text(edition, out, options.title, writes)
            elif fmt == "newsml":
                result.files[fmt] = write_newsml(edition, out, options, writes)
            elif fmt == "alto" and fmt not in result.files:
                result.files[fmt] = write_alto(edition, out, writes)
            if fmt in _STALE_PATTERNS:
                # A file still being written is not there yet, or only under a temporary name: neither is
                # taken for a stale one.
                result.removed.extend(_remove_stale(out, fmt, result.files[fmt]))
    except OSError as exc:
        raise _cannot_write(exc, out) from exc
    finally:
        if pending is None:
            finish_writes(writes, out)  # nothing is left running on return, whatever happened
    result.seconds = time.perf_counter() - start
    log.info("exported %s: %d files in %.2f s", edition.id, result.count, result.seconds)
    return result


def finish_writes(pending: PendingWrites, outdir: Path) -> None:
    """Wait for the export files still being written; one that could not be written raises ExportError."""
    try:
        pending.wait()
    except OSError as exc:
        raise _cannot_write(exc, outdir) from exc


def _cannot_write(exc: OSError, outdir: Path) -> ExportError:
    return ExportError(f"cannot write export: {exc}; check the output folder's permissions and free space",
                       path=str(getattr(exc, "filename", None) or outdir))


def _remove_stale(out: Path, fmt: str, written: list[Path]) -> list[Path]:
    sub, pattern = _STALE_PATTERNS[fmt]
    folder = out / sub
    if not folder.is_dir():
        return []
    # The names written to this folder (each parent resolved once, not each file: resolving costs a few
    # system calls a path, and an edition writes a file per article).
    here = folder.resolve()
    parents = {parent: parent.resolve() == here for parent in {p.parent for p in written}}
    keep = {p.name for p in written if parents[p.parent]}
    removed = []
    for path in folder.iterdir():
        if pattern.match(path.name) and path.name not in keep and path.is_file():
            path.unlink()
            removed.append(path)
    if removed:
        log.info("removed %d stale %s files from %s", len(removed), fmt, folder)
    return removed
