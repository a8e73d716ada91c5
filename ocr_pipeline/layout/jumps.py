"""Jump-line detection for block classification (the grammar lives in the layout profiles)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=8)
def _profile(name: str) -> Any:
    from ocr_pipeline.profiles import load_profile

    return load_profile(name)


def is_jump_line(text: str, profile: str = "generic") -> bool:
    """True when a jump marker makes up most of the text ("(下转第2版)", "Continued on Page 3")."""
    from ocr_pipeline.edition.jumps import parse_jumps

    stripped = text.strip()
    if not stripped or len(stripped) > 80:
        return False
    jumps = parse_jumps(stripped, _profile(profile))
    covered = sum(j.span[1] - j.span[0] for j in jumps)
    return bool(jumps) and covered >= 0.6 * len(stripped)
