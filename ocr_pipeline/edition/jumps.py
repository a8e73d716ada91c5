"""Jump lines: "(下转第2版)", "(上接第1版)", "Continued on Page 7", "See BUDGET, Page A4", …

The grammar (regular expressions) lives in the layout profile's ``[jumps]`` section; this module runs it,
widens each hit to the brackets around it (any width: ( ) （ ） 〔 〕 [ ] 【 】), reads the page label
("2", "A4", "二", "十一", "Eleven", "Second", OCR-damaged "8*cond") and can cut the markers out of a text.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from ocr_pipeline.profiles import LayoutProfile, as_profile
from ocr_pipeline.text.chars import is_cjk_char

log = logging.getLogger(__name__)

Direction = Literal["out", "in"]

OPENING = "(（〔[【［｛{<〈《"
CLOSING = ")）〕]】］｝}>〉》"
# Relative page words ("continued on next page"): the page is resolved against the page the jump is on.
RELATIVE_PAGES = {"next": "next", "following": "next", "back": "last", "last": "last"}


@dataclass(slots=True)
class Jump:
    """One jump marker found in a text. ``span`` indexes the text given to :func:`parse_jumps`."""

    direction: Direction
    page: int | None
    page_label: str
    section: str
    keyword: str
    span: tuple[int, int]
    text: str
    column: int | None = None

    @property
    def relative(self) -> str:
        """"next" / "last" for relative targets ("Continued on Next Page"), else ""."""
        return RELATIVE_PAGES.get(self.page_label.lower(), "")


# --- page labels -----------------------------------------------------------------------------------

_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}

_EN_CARDINAL = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
                "twenty"]
_EN_ORDINAL = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
               "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
               "seventeenth", "eighteenth", "nineteenth", "twentieth"]
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
            "ninety": 90, "twentieth": 20, "thirtieth": 30, "fortieth": 40}
EN_NUMBER_WORDS: dict[str, int] = {w: i for i, w in enumerate(_EN_CARDINAL)}
EN_NUMBER_WORDS.update({w: i for i, w in enumerate(_EN_ORDINAL)})
EN_NUMBER_WORDS.update(_EN_TENS)
EN_NUMBER_WORDS["front"] = 1
# Old scans confuse letters with these digits inside words ("8*cond" for "Second").
_OCR_DIGIT_LETTERS = str.maketrans({"0": "o", "1": "l", "5": "s", "8": "s", "6": "b", "3": "e"})


def chinese_number(text: str) -> int | None:
    """"二" -> 2, "十" -> 10, "十一" -> 11, "二十三" -> 23, "一百零二" -> 102, "一二" -> 12; None if not a numeral."""
    if not text or any(ch not in _CN_DIGITS and ch not in "十百" for ch in text):
        return None
    if "十" not in text and "百" not in text:
        # Digit-by-digit form ("一二" for 12), as folios sometimes print it.
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _CN_DIGITS[ch]
    return total + current


def english_number(word: str) -> int | None:
    """"Eleven" -> 11, "Second" -> 2, "twenty-first" -> 21, OCR-damaged "8*cond" -> 2; None if unknown."""
    w = word.lower().strip(".,;:'’")
    if w in EN_NUMBER_WORDS:
        return EN_NUMBER_WORDS[w]
    parts = re.split(r"[-\s]+", w)
    if len(parts) == 2 and parts[0] in _EN_TENS and parts[1] in EN_NUMBER_WORDS and EN_NUMBER_WORDS[parts[1]] < 10:
        return _EN_TENS[parts[0]] + EN_NUMBER_WORDS[parts[1]]
    if len(w) < 4:
        return None
    # OCR repair: digits that stand for letters, and '*'/'?' (unreadable characters) as wildcards.
    repaired = w.translate(_OCR_DIGIT_LETTERS) if re.search(r"[a-z]", w) else w
    if "*" in repaired or "?" in repaired:
        rx = re.compile(re.escape(repaired).replace(r"\*", ".").replace(r"\?", "."))
        hits = [n for k, n in EN_NUMBER_WORDS.items() if rx.fullmatch(k)]
        if len(set(hits)) == 1:
            return hits[0]
    best = process.extractOne(repaired, list(EN_NUMBER_WORDS), scorer=fuzz.ratio, score_cutoff=80)
    return EN_NUMBER_WORDS[best[0]] if best else None


def parse_page_label(label: str) -> tuple[int | None, str]:
    """A printed page label -> (page number, section letters): "A4" -> (4, "A"), "二" -> (2, "")."""
    norm = unicodedata.normalize("NFKC", label).strip().replace(" ", "")
    if norm in ("I", "l", "|"):
        return 1, ""  # OCR's reading of a lone "1" in "(上接第1版)"
    m = re.fullmatch(r"([A-Za-z]{0,2})-?(\d{1,4})", norm)
    if m:
        return int(m.group(2)), m.group(1).upper()
    n = chinese_number(norm)
    if n is not None:
        return n, ""
    return english_number(norm), ""


# --- parsing ---------------------------------------------------------------------------------------

def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """Take in the brackets around a marker, and the full stop inside them ("(Continued on Page 7.)")."""
    j = end
    while j < len(text) and text[j] in " \t.。":
        j += 1
    i = start
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    has_open = i > 0 and text[i - 1] in OPENING
    has_close = j < len(text) and text[j] in CLOSING
    at_line_end = j >= len(text) or text[j] == "\n"
    at_line_start = i == 0 or text[i - 1] == "\n"
    if has_open and has_close:
        return i - 1, j + 1
    # OCR often loses one bracket: keep the other only where the marker fills the rest of the line.
    if has_open and at_line_end:
        return i - 1, j
    if has_close and (at_line_start or (i > 0 and text[i - 1] in OPENING)):
        return start, j + 1
    if at_line_end and j > end and "." in text[end:j]:
        return start, j
    return start, end


def _group(m: re.Match[str], name: str) -> str:
    try:
        return m.group(name) or ""
    except IndexError:
        return ""


def _plausible_label(label: str) -> bool:
    """A word page label must read as a number or be OCR-damaged; "continued on page after page" is no jump."""
    if not label or re.search(r"[\d*?]", label):
        return True
    return parse_page_label(label)[0] is not None or label.lower() in RELATIVE_PAGES


def parse_jumps(text: str, profile: LayoutProfile | str | None = None) -> list[Jump]:
    """All jump markers in ``text`` (anywhere: own line, end of a column, inside a line), in text order."""
    prof = as_profile(profile)
    if prof.jumps.any_marker is not None and prof.jumps.any_marker.search(text) is None:
        return []
    hits: list[tuple[int, int, Direction, re.Match[str]]] = []
    for direction, patterns in (("out", prof.jumps.compiled_out), ("in", prof.jumps.compiled_in)):
        for pat in patterns:
            for m in pat.finditer(text):
                if m.end() > m.start() and _plausible_label(_group(m, "page")):
                    hits.append((m.start(), m.end(), direction, m))  # type: ignore[arg-type]
    # Overlapping hits (the same marker read by two patterns): the longest wins, then the earliest.
    hits.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
    taken: list[tuple[int, int]] = []
    chosen = []
    for h in hits:
        if all(h[1] <= s or h[0] >= e for s, e in taken):
            taken.append((h[0], h[1]))
            chosen.append(h)
    chosen.sort(key=lambda h: h[0])
    jumps: list[Jump] = []
    for start, end, direction, m in chosen:
        label = _group(m, "page").strip()
        number, section = parse_page_label(label) if label else (None, "")
        section = _group(m, "section").strip().upper() or section
        col = _group(m, "column")
        column = parse_page_label(col)[0] if col else None
        s, e = _widen(text, start, end)
        jumps.append(Jump(direction=direction, page=number, page_label=re.sub(r"\s+", "", unicodedata.normalize("NFKC", label)),
                          section=section, keyword=_group(m, "keyword").strip(), span=(s, e),
                          text=text[s:e].strip(), column=column))
    return jumps


_EMPTY_BRACKETS = re.compile(r"[(（〔\[【［]\s*[)）〕\]】］]")


def strip_jumps(text: str, profile: LayoutProfile | str | None = None) -> tuple[str, list[Jump]]:
    """``text`` without its jump markers, and the markers removed (spans index the original text)."""
    jumps = parse_jumps(text, profile)
    if not jumps:
        return text, []
    out = text
    for j in reversed(jumps):
        s, e = j.span
        left, right = out[:s].rstrip(" \t"), out[e:].lstrip(" \t")
        sep = ""
        if left and right and left[-1] != "\n" and right[0] != "\n":
            # Where the marker sat between two words of Latin text, keep them apart.
            sep = "" if is_cjk_char(left[-1]) or is_cjk_char(right[0]) else " "
        out = left + sep + right
    out = _EMPTY_BRACKETS.sub("", out)
    out = re.sub(r"[ \t]{2,}", " ", out)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip(), jumps


__all__ = ["Jump", "chinese_number", "english_number", "parse_jumps", "parse_page_label", "strip_jumps"]
