"""Text normalisation for scoring: both sides of every comparison go through the same function.

Differences that a reader would not call errors are removed before counting edits: Unicode
compatibility forms (NFKC), the width of punctuation (full-width "，" and half-width "," are the same
mark in different fonts), runs of whitespace, and spaces between CJK characters (some engines put one
between every Chinese character, others none; neither changes the text).
"""

from __future__ import annotations

import re
import unicodedata

# After NFKC the full-width ASCII forms (U+FF01..FF5E) are already half-width; these are the CJK marks
# that NFKC keeps but that have an obvious half-width twin. Both sides map to the half-width form.
_PUNCT_MAP = str.maketrans(
    {
        "\u3002": ".",  # 。 ideographic full stop
        "\uff61": ".",  # ｡ half-width ideographic full stop (NFKC makes it 。 first)
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201e": '"',  # „
        "\u2033": '"',  # ″
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u201a": "'",  # ‚
        "\u2032": "'",  # ′
        "\u2015": "\u2014",  # ― horizontal bar, used for the Chinese dash "——"
        "\u2500": "\u2014",  # ─ box drawing, the same dash in some fonts
        "\u30fb": "\u00b7",  # ・ katakana middle dot
        "\u2027": "\u00b7",  # ‧ hyphenation point
        "\u2022": "\u00b7",  # • bullet
        "\u301c": "~",  # 〜 wave dash
        "\u2212": "-",  # − minus sign
        "\u2010": "-",  # ‐ hyphen
        "\u2011": "-",  # ‑ non-breaking hyphen
        "\u00ad": None,  # soft hyphen: invisible in print
        "\u200b": None,  # zero-width space
        "\ufeff": None,  # byte-order mark
    }
)

_WS = re.compile(r"\s+")


def is_cjk(ch: str) -> bool:
    """Han ideographs, kana, hangul, bopomofo and CJK symbols: scripts written without word spaces."""
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x2FDF  # radicals
        or 0x3000 <= o <= 0x30FF  # CJK symbols and punctuation, hiragana, katakana
        or 0x3100 <= o <= 0x31FF  # bopomofo, katakana extensions
        or 0x3400 <= o <= 0x4DBF  # extension A
        or 0x4E00 <= o <= 0x9FFF  # unified ideographs
        or 0xAC00 <= o <= 0xD7AF  # hangul syllables
        or 0xF900 <= o <= 0xFAFF  # compatibility ideographs
        or 0xFE30 <= o <= 0xFE4F  # compatibility forms
        or 0x20000 <= o <= 0x3FFFF  # extensions B..
    )


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def _drop_cjk_spaces(text: str) -> str:
    # A space is dropped when it stands between two CJK characters, or between a CJK character and a
    # punctuation mark: after width folding "你好， 世界" and "你好,世界" must compare equal.
    if " " not in text:
        return text
    out: list[str] = []
    n = len(text)
    for i, ch in enumerate(text):
        if ch == " " and 0 < i < n - 1:
            a, b = text[i - 1], text[i + 1]
            if (is_cjk(a) and (is_cjk(b) or _is_punct(b))) or (_is_punct(a) and is_cjk(b)):
                continue
        out.append(ch)
    return "".join(out)


def normalize_text(text: str) -> str:
    """One line or paragraph, normalised for scoring (no newlines in the result)."""
    text = unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP)
    text = _WS.sub(" ", text).strip()
    return _drop_cjk_spaces(text)


def normalize_paragraphs(paragraphs: list[str]) -> list[str]:
    """Normalise each paragraph; paragraphs that are empty afterwards are dropped."""
    out = []
    for p in paragraphs:
        q = normalize_text(p)
        if q:
            out.append(q)
    return out


def body_text(paragraphs: list[str]) -> str:
    """An article body as scored: normalised paragraphs joined with "\\n" (the boundary character)."""
    return "\n".join(normalize_paragraphs(paragraphs))
