"""``edition.json``: the full document model (see ``ocr_pipeline.model.dumps``)."""

from __future__ import annotations

from pathlib import Path

from ocr_pipeline.model import Edition, dump, to_json_bytes
from ocr_pipeline.util.fs import PendingWrites


def write_json(edition: Edition, outdir: Path, pending: PendingWrites | None = None) -> list[Path]:
    """``pending``: the file is written in the writing threads (see ``export_edition``)."""
    path = Path(outdir) / "edition.json"
    if pending is None:
        dump(edition, path)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        pending.write(path, to_json_bytes(edition) + b"\n")
    return [path]
