"""``edition.json``: the full document model (see ``ocr_pipeline.model.dumps``)."""

from __future__ import annotations

from pathlib import Path

from ocr_pipeline.model import Edition, dump


def write_json(edition: Edition, outdir: Path) -> list[Path]:
    path = Path(outdir) / "edition.json"
    dump(edition, path)
    return [path]
