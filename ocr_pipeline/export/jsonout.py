"""``edition.json``: the full model, byte for byte what ``ocr_pipeline.model.dumps`` writes, faster.

Two differences from calling ``model.dump`` directly, neither visible in the file:

- ``model.to_dict`` asks ``dataclasses.fields`` for every object; an edition with character boxes has
  ~100,000 of them (1.0 s for 16 pages). :func:`plain` caches the field names per class and gives the
  same data (a test checks equality), in about a quarter of the time.
- ``model.dump`` encodes the text as UTF-8, which fails on a lone surrogate (``"\\ud800"``, which OCR of
  damaged input can produce). JSON carries one as an escape, so exactly those characters are escaped and
  the file still round-trips exactly through ``model.load``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from ocr_pipeline.model import Edition, to_dict
from ocr_pipeline.util.fs import atomic_write_text

_SURROGATE = re.compile("[\ud800-\udfff]")
_FIELDS: dict[type, tuple[str, ...]] = {}
_SCALARS = (str, int, float, bool, type(None))


def plain(obj: Any) -> Any:
    """Same result as ``ocr_pipeline.model.to_dict``."""
    t = type(obj)
    if t in _SCALARS:
        return obj
    if t is list or t is tuple:
        return [v if type(v) in _SCALARS else plain(v) for v in obj]
    names = _FIELDS.get(t)
    if names is None:
        if not (dataclasses.is_dataclass(obj) and not isinstance(obj, type)):
            return to_dict(obj)  # dicts, subclasses and anything unusual: the model's own rules
        names = _FIELDS[t] = tuple(f.name for f in dataclasses.fields(obj))
    out = {}
    for name in names:
        v = getattr(obj, name)
        out[name] = v if type(v) in _SCALARS else plain(v)
    return out


def edition_json(edition: Edition) -> str:
    # Same options as model.dumps. With ensure_ascii=False, json leaves non-ASCII characters
    # (surrogates included) unescaped and they can only occur inside strings, so replacing each with its
    # \\uXXXX escape is exact.
    text = json.dumps(plain(edition), ensure_ascii=False, indent=1)
    if _SURROGATE.search(text):
        text = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text + "\n"


def write_json(edition: Edition, outdir: Path) -> list[Path]:
    path = Path(outdir) / "edition.json"
    atomic_write_text(path, edition_json(edition))
    return [path]
