"""Fonts used by the sample generator (Debian fonts-noto-cjk, fonts-liberation, fonts-dejavu-core)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from ocr_pipeline.errors import MissingDependencyError

_NOTO = "/usr/share/fonts/opentype/noto/"
_LIB = "/usr/share/fonts/truetype/liberation/"
_DJV = "/usr/share/fonts/truetype/dejavu/"

# key -> (file, index inside a collection); index 2 of the Noto CJK collections is Simplified Chinese.
FONT_FILES: dict[str, tuple[str, int]] = {
    "zh_body": (_NOTO + "NotoSerifCJK-Regular.ttc", 2),
    "zh_serif_bold": (_NOTO + "NotoSerifCJK-Bold.ttc", 2),
    "zh_sans_bold": (_NOTO + "NotoSansCJK-Bold.ttc", 2),
    "zh_sans": (_NOTO + "NotoSansCJK-Regular.ttc", 2),
    "en_body": (_LIB + "LiberationSerif-Regular.ttf", 0),
    "en_bold": (_LIB + "LiberationSerif-Bold.ttf", 0),
    "en_italic": (_LIB + "LiberationSerif-Italic.ttf", 0),
    "en_display": (_DJV + "DejaVuSerif-Bold.ttf", 0),
    "en_sans": (_LIB + "LiberationSans-Regular.ttf", 0),
    "en_sans_bold": (_LIB + "LiberationSans-Bold.ttf", 0),
}

_APT = {"zh": "fonts-noto-cjk", "en": "fonts-liberation fonts-dejavu-core"}


@lru_cache(maxsize=256)
def font(key: str, size: int) -> ImageFont.FreeTypeFont:
    path, index = FONT_FILES[key]
    if not Path(path).exists():
        raise MissingDependencyError(
            f"font {path} not found; install it with: apt-get install {_APT[key[:2]]}"
        )
    # BASIC layout: identical glyph positions with or without libraqm, so output is reproducible.
    return ImageFont.truetype(path, size, index=index, layout_engine=ImageFont.Layout.BASIC)
