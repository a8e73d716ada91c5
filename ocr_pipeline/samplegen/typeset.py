"""Line breaking and justification for one column width.

Chinese: any character may end a line except that a line never starts with closing punctuation nor ends
with opening punctuation (the characters are moved to the next line and the rest of the line is spread);
runs of Latin letters and digits stay whole. English: greedy fill, words hyphenated at the line end with
pyphen's dictionary, compounds ("well-known") broken at their own hyphen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from PIL import ImageFont

NO_START = set("、。，．；：！？）」』”’》〉】〕…—·%,.;:!?)]}")
NO_END = set("（「『“‘《〈【〔([{")

_ZH_UNIT = re.compile(r"[A-Za-z0-9][A-Za-z0-9.%:+\-]*[A-Za-z0-9%]|——|……|.", re.S)
_WORD = re.compile(r"\S+")
_CORE = re.compile(r"^([^A-Za-z]*)([A-Za-z]+)([^A-Za-z]*)$")


@dataclass(slots=True)
class TLine:
    """One typeset line: source offsets, printed text and the x offset of every piece in the column."""

    kind: str  # "body" | "subhead" | "caption" | "headline"
    item: int  # index of the paragraph/subhead in the article's items
    start: int
    end: int
    text: str
    pieces: list[tuple[float, str]] = field(default_factory=list)
    first: bool = False
    last: bool = False
    font: str = ""
    size: int = 0
    advance: float = 0.0
    space_before: float = 0.0


@lru_cache(maxsize=1)
def _hyphenator():  # type: ignore[no-untyped-def]
    try:
        import pyphen
    except ImportError:  # hyphenation is a nicety; without pyphen only compounds break at their hyphen
        return None
    return pyphen.Pyphen(lang="en_US", left=2, right=3)


def _align(units: list[str], widths: list[float], avail: float, indent: float, justify: str) -> list[tuple[float, str]]:
    total = sum(widths)
    extra = max(0.0, avail - total)
    if justify == "center":
        x = indent + extra / 2
        gap = 0.0
    elif justify == "right":
        x = indent + extra
        gap = 0.0
    elif justify == "full" and len(units) > 1:
        x, gap = indent, extra / (len(units) - 1)
    else:
        x, gap = indent, 0.0
    out = []
    for u, w in zip(units, widths, strict=True):
        out.append((x, u))
        x += w + gap
    return out


def break_zh(
    text: str, start: int, width: float, fnt: ImageFont.FreeTypeFont, *, indent: float = 0.0,
    align: str = "full",
) -> list[TLine]:
    """Break ``text[start:]`` into lines of ``width`` px; ``indent`` applies to the first line when start == 0."""
    units = [(m.start(), m.group()) for m in _ZH_UNIT.finditer(text, start)]
    widths = [fnt.getlength(u) for _, u in units]
    lines: list[TLine] = []
    i = 0
    while i < len(units):
        ind = indent if (i == 0 and start == 0) else 0.0
        avail = width - ind
        w, j = 0.0, i
        while j < len(units) and w + widths[j] <= avail + 0.01:
            w += widths[j]
            j += 1
        if j == i:
            j = i + 1
        if j < len(units):
            bp = j
            while bp > i + 1 and (units[bp][1][0] in NO_START or units[bp - 1][1][-1] in NO_END):
                bp -= 1
            j = bp
        last = j >= len(units)
        seg = [u for _, u in units[i:j]]
        pieces = _align(seg, widths[i:j], avail, ind, "left" if (last and align == "full") else align)
        end = units[j][0] if j < len(units) else len(text)
        lines.append(TLine("body", 0, units[i][0], end, "".join(seg), pieces, first=(i == 0 and start == 0), last=last))
        i = j
    return lines


def _split_word(word: str, fits) -> tuple[str, int] | None:  # type: ignore[no-untyped-def]
    """Longest printed prefix (ending in '-') that ``fits``; returns (printed, source chars consumed)."""
    cands: list[tuple[str, int]] = []
    for k, ch in enumerate(word[:-1]):
        if ch == "-" and k >= 2 and word[k + 1 :].strip(".,;:!?\"'”’)").isalpha():
            cands.append((word[: k + 1], k + 1))
    if "-" not in word:
        m = _CORE.match(word)
        hy = _hyphenator()
        if m and hy is not None and len(m.group(2)) >= 6 and not m.group(2).isupper():
            lead = len(m.group(1))
            for pos in hy.positions(m.group(2)):
                cands.append((word[: lead + pos] + "-", lead + pos))
    for printed, used in sorted(cands, key=lambda c: -c[1]):
        if fits(printed):
            return printed, used
    return None


def break_en(
    text: str, start: int, width: float, fnt: ImageFont.FreeTypeFont, *, indent: float = 0.0,
    align: str = "full", hyphenate: bool = True,
) -> list[TLine]:
    space = fnt.getlength(" ")
    words = [(m.start(), m.group()) for m in _WORD.finditer(text, start)]
    lines: list[TLine] = []
    k = 0
    first = start == 0
    while k < len(words):
        ind = indent if first else 0.0
        avail = width - ind
        seg: list[str] = []
        w = 0.0
        line_start = words[k][0]
        end = line_start
        while k < len(words):
            pos, word = words[k]
            ww = fnt.getlength(word)
            need = ww + (space if seg else 0.0)
            if w + need <= avail + 0.01:
                seg.append(word)
                w += need
                end = pos + len(word)
                k += 1
                continue
            if hyphenate:
                base = w + (space if seg else 0.0)
                split = _split_word(word, lambda p, base=base, avail=avail: base + fnt.getlength(p) <= avail + 0.01)
                if split is not None:
                    printed, used = split
                    seg.append(printed)
                    end = pos + used
                    words[k] = (pos + used, word[used:])
            if not seg:  # a single word wider than the column: print it anyway
                seg.append(word)
                end = pos + len(word)
                k += 1
            break
        last = k >= len(words)
        widths = [fnt.getlength(s) for s in seg]
        if align == "full" and not last and len(seg) > 1:
            gap = (avail - sum(widths)) / (len(seg) - 1)
        else:
            gap = space
        x = ind
        if align == "center":
            x = ind + (avail - (sum(widths) + space * (len(seg) - 1))) / 2
        pieces = []
        for s, sw in zip(seg, widths, strict=True):
            pieces.append((x, s))
            x += sw + gap
        lines.append(TLine("body", 0, line_start, end, " ".join(seg), pieces, first=first, last=last))
        first = False
    return lines


def break_text(lang: str, text: str, start: int, width: float, fnt: ImageFont.FreeTypeFont, **kw) -> list[TLine]:  # type: ignore[no-untyped-def]
    return (break_zh if lang == "zh" else break_en)(text, start, width, fnt, **kw)
