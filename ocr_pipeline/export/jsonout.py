"""``edition.json``: the full document model (see ``ocr_pipeline.model.dumps``)."""

from __future__ import annotations

from pathlib import Path

from ocr_pipeline.model import Edition, to_json_bytes
from ocr_pipeline.util.fs import PendingWrites, write_file


def write_json(edition: Edition, outdir: Path, pending: PendingWrites | None = None, *,
               data: bytes | None = None) -> list[Path]:
    """``pending``: the file is written in the writing threads (see ``export_edition``). ``data``: the
    edition's ``to_json_bytes``, when the caller has it already."""
    path = Path(outdir) / "edition.json"
    # As model.dump writes it.
    write_file(path, (data if data is not None else to_json_bytes(edition)) + b"\n", pending)
    return [path]
