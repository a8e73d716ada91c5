"""``edition.json``: the full document model (see ``ocr_pipeline.model.dumps``)."""

from __future__ import annotations

from pathlib import Path

from ocr_pipeline.model import Edition, dump, to_json_bytes
from ocr_pipeline.util.fs import PendingWrites, atomic_write_bytes


def write_json(edition: Edition, outdir: Path, pending: PendingWrites | None = None, *,
               data: bytes | None = None) -> list[Path]:
    """``pending``: the file is written in the writing threads (see ``export_edition``). ``data``: the
    edition's ``to_json_bytes``, when the caller has it already."""
    path = Path(outdir) / "edition.json"
    if pending is None and data is None:
        dump(edition, path)
        return [path]
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = (data if data is not None else to_json_bytes(edition)) + b"\n"
    if pending is None:
        atomic_write_bytes(path, payload)
    else:
        pending.write(path, payload)
    return [path]
