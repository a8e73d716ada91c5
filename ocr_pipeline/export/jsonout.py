"""``edition.json``: the full model, as ``ocr_pipeline.model`` writes it.

``model.dump`` encodes the JSON text as UTF-8, which fails on a lone surrogate (``"\\ud800"``, something
OCR of damaged input can produce). JSON can carry one as an escape, so this writer escapes exactly those
characters and the file still round-trips exactly through ``model.load``.
"""

from __future__ import annotations

import re
from pathlib import Path

from ocr_pipeline.model import Edition, dumps
from ocr_pipeline.util.fs import atomic_write_text

_SURROGATE = re.compile("[\ud800-\udfff]")


def edition_json(edition: Edition) -> str:
    # With ensure_ascii=False, json leaves non-ASCII characters (surrogates included) unescaped and they
    # can only occur inside strings, so replacing each with its \\uXXXX escape is exact.
    text = dumps(edition)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def write_json(edition: Edition, outdir: Path) -> list[Path]:
    path = Path(outdir) / "edition.json"
    atomic_write_text(path, edition_json(edition))
    return [path]
