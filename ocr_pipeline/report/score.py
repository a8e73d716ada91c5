"""Character confidences and the edition's quality score.

Quality score (0..1), the figure ``convert --fail-under`` compares against::

    score = C × P × S

- ``C``: character-weighted mean confidence over every non-space character on the pages that did not
  fail (a character's confidence is the engine's per-character value where the line has them, else its
  line's confidence). 0 when there is no character at all.
- ``P``: share of pages that did not fail (a failed page's text is missing, so it costs in proportion).
- ``S = max(0.5, 1 − 0.1 × serious / pages)``: serious flags (severity ≥ 0.6: unmatched jump lines, joins
  that formed no word, text blocks in no article, input errors…) per page that did not fail. Confidence
  flags and failed-page flags are left out of ``serious`` because ``C`` and ``P`` already count them.

An edition of good pages at 0.97 confidence with one unmatched jump per four pages scores
0.97 × 1 × 0.975 ≈ 0.946; one failed page out of sixteen alone costs 6 %.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ocr_pipeline.model import Edition, Flag, Line, Page

SERIOUS_SEVERITY = 0.6
# Flags whose cost the score already takes from C or P.
_COUNTED_ELSEWHERE = frozenset({"low-confidence-line", "low-confidence-article", "page-failed"})


@functools.lru_cache(maxsize=1 << 16)
def char_key(ch: str) -> str:
    """Comparison key of one character: NFKC (full-/half-width punctuation alike), case-folded."""
    return unicodedata.normalize("NFKC", ch).casefold()[:1] or ch


class _KeyTable(dict[int, str]):
    """``char_key`` by code point, filled as characters are met: ``str.translate`` with it keys a whole text in
    C, calling back only for characters not met before."""

    def __missing__(self, code: int) -> str:
        key = self[code] = char_key(chr(code))
        return key


KEYS = _KeyTable()  # see _KeyTable
_WORD = re.compile(r"\S+")  # \s is str.isspace's whitespace
_FAR_RUN = 8  # characters that resynchronise the alignment anywhere in the pieces


def align_confidences(text: str, pieces: Sequence[tuple[str, float]], *, window: int = 12,
                      resync: int = 400) -> list[float | None]:
    """For each character of ``text``, the confidence of the matching piece character, or None.

    Approximate and linear: the text was produced from the pieces (normalised, joined, repaired), so
    characters are matched greedily in order, looking ``window`` pieces ahead; after a miss, a run of three
    characters is searched further ahead to resynchronise, else a run of eight anywhere (the text may have
    moved back). Whitespace gets None.
    """
    keys = "".join([char_key(c) or "\x00" for c, _ in pieces])  # one character each; an empty piece matches nothing
    return align_keys(text, keys, [conf for _, conf in pieces], window=window, resync=resync)


def align_keys(text: str, keys: str, confs: Sequence[float], *, window: int = 12,
               resync: int = 400) -> list[float | None]:
    """``align_confidences`` with the pieces given as their keys (``char_key`` of each, one character each,
    joined) and their confidences."""
    out: list[float | None] = [None] * len(text)
    n = len(keys)
    if not n:
        return out
    tk = text.translate(KEYS)
    j = 0
    for word in _WORD.finditer(text):
        i, e = word.span()
        while i < e:
            # The usual case: the next pieces are the next characters, for a whole run of them.
            run = _common_run(tk, i, e, keys, j)
            if run:
                out[i:i + run] = confs[j:j + run]
                i += run
                j += run
                continue
            hit = keys.find(tk[i], j, min(n, j + window))
            if hit < 0:
                # Resynchronise on a three-character run so one unmatched character cannot derail the rest.
                three = _run_keys(text, tk, i, 3, 6)
                if len(three) == 3:
                    hit = keys.find(three, j, min(n, j + resync + 2))
                if hit < 0:
                    # The text need not follow the lines' order (a dateline set before the line it was
                    # printed in, a block taken out of turn): a longer run, further on or back.
                    far = _run_keys(text, tk, i, _FAR_RUN, 3 * _FAR_RUN)
                    if len(far) == _FAR_RUN:
                        hit = keys.find(far, j)
                        hit = keys.find(far, 0, j + _FAR_RUN - 1) if hit < 0 else hit
            if hit >= 0:
                out[i] = confs[hit]
                j = hit + 1
            i += 1
    return out


def _run_keys(text: str, tk: str, i: int, count: int, span: int) -> str:
    """The keys (``tk``: ``text`` keyed) of the first ``count`` non-space characters among ``text[i:i + span]``:
    fewer where there are spaces."""
    return "".join([k for ch, k in zip(text[i:i + span], tk[i:i + span], strict=True) if not ch.isspace()][:count])


def _common_run(a: str, i: int, e: int, b: str, j: int) -> int:
    """The length of the longest run ``a[i:i + L] == b[j:j + L]`` with ``i + L <= e``, found by slices compared
    in C: the whole rest first (a word), then runs doubling in length, then halving to the first difference."""
    limit = min(e - i, len(b) - j)
    if limit <= 0 or a[i] != b[j]:
        return 0
    if a[i:i + limit] == b[j:j + limit]:
        return limit
    lo, step = 1, 8
    while True:  # a[i:i + lo] matches
        hi = min(limit, lo + step)
        if a[i + lo:i + hi] != b[j + lo:j + hi]:
            break
        lo, step = hi, step * 2
    while hi - lo > 1:  # the first difference is in [lo, hi)
        mid = (lo + hi) // 2
        if a[i + lo:i + mid] == b[j + lo:j + mid]:
            lo = mid
        else:
            hi = mid
    return lo


def char_confidences(line: Line) -> list[float]:
    """Confidence of each non-space character of ``line.text``, in order."""
    visible = [c for c in line.text if not c.isspace()]
    if not line.chars:
        return [line.confidence] * len(visible)
    pieces = [(c.text, c.confidence) for c in line.chars if c.text and not c.text.isspace()]
    if len(pieces) == len(visible) and all(len(p[0]) == 1 for p in pieces):
        return [p[1] for p in pieces]
    # Character boxes that do not cover the text one to one (space repair, ligatures): align them.
    singles = [(ch, conf) for text, conf in pieces for ch in text]
    aligned = align_confidences("".join(visible), singles)
    return [line.confidence if c is None else c for c in aligned]


class LineConfidences:
    """``char_confidences`` computed once per line: the report asks for the same lines several times."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[Line, list[float]]] = {}

    def __call__(self, line: Line) -> list[float]:
        hit = self._cache.get(id(line))
        if hit is None or hit[0] is not line:
            hit = (line, char_confidences(line))
            self._cache[id(line)] = hit
        return hit[1]


@dataclass(slots=True)
class ConfidenceStats:
    characters: int = 0
    low_characters: int = 0
    weighted: float = 0.0  # sum of character confidences

    @property
    def mean(self) -> float:
        return self.weighted / self.characters if self.characters else 0.0

    @property
    def low_share(self) -> float:
        return self.low_characters / self.characters if self.characters else 0.0

    def add_line(self, line: Line, low_confidence: float, confs: LineConfidences | None = None) -> None:
        values = confs(line) if confs is not None else char_confidences(line)
        self.characters += len(values)
        self.low_characters += sum(1 for c in values if c < low_confidence)
        self.weighted += sum(values)

    def add(self, other: ConfidenceStats) -> None:
        self.characters += other.characters
        self.low_characters += other.low_characters
        self.weighted += other.weighted


def page_stats(page: Page, low_confidence: float = 0.8, confs: LineConfidences | None = None) -> ConfidenceStats:
    stats = ConfidenceStats()
    if page.status != "failed":
        for line in page.lines:
            stats.add_line(line, low_confidence, confs)
    return stats


def edition_stats(edition: Edition, low_confidence: float = 0.8,
                  confs: LineConfidences | None = None) -> ConfidenceStats:
    total = ConfidenceStats()
    for page in edition.pages:
        total.add(page_stats(page, low_confidence, confs))
    return total


def serious_flags(flags: Iterable[Flag]) -> int:
    return sum(1 for f in flags if f.severity >= SERIOUS_SEVERITY and f.code not in _COUNTED_ELSEWHERE)


def quality_score(edition: Edition, flags: Sequence[Flag] | None = None, *,
                  low_confidence: float = 0.8, stats: ConfidenceStats | None = None) -> float:
    """The edition's quality score in [0, 1] (formula in the module docstring); ``flags`` default to
    ``compute_flags(edition)``, ``stats`` (the edition's character confidences) to ``edition_stats``."""
    if flags is None:
        from ocr_pipeline.report.flags import compute_flags

        flags = compute_flags(edition, low_confidence=low_confidence)
    if not edition.pages:
        return 0.0
    ok_pages = sum(1 for p in edition.pages if p.status != "failed")
    if ok_pages == 0:
        return 0.0
    c = (stats if stats is not None else edition_stats(edition, low_confidence)).mean
    p = ok_pages / len(edition.pages)
    s = max(0.5, 1.0 - 0.1 * serious_flags(flags) / ok_pages)
    return float(min(1.0, max(0.0, c * p * s)))
