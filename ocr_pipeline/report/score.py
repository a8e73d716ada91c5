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


def align_confidences(text: str, pieces: Sequence[tuple[str, float]], *, window: int = 12,
                      resync: int = 400) -> list[float | None]:
    """For each character of ``text``, the confidence of the matching piece character, or None.

    Approximate and linear: the text was produced from the pieces (normalised, joined, repaired), so
    characters are matched greedily in order, looking ``window`` pieces ahead; after a miss, a run of three
    characters is searched further ahead to resynchronise. Whitespace gets None.
    """
    keys = [char_key(c) for c, _ in pieces]
    out: list[float | None] = []
    j = 0
    n = len(keys)
    chars = text
    for i, ch in enumerate(chars):
        if ch.isspace():
            out.append(None)
            continue
        k = char_key(ch)
        if j < n and keys[j] == k:  # the usual case, the next piece: the loop below would find it first
            out.append(pieces[j][1])
            j += 1
            continue
        hit = -1
        for m in range(j, min(n, j + window)):
            if keys[m] == k:
                hit = m
                break
        if hit < 0:
            # Resynchronise on a three-character run so one unmatched character cannot derail the rest.
            run = [char_key(c) for c in chars[i:i + 6] if not c.isspace()][:3]
            if len(run) == 3:
                for m in range(j, min(n - 2, j + resync)):
                    if keys[m] == run[0] and keys[m + 1] == run[1] and keys[m + 2] == run[2]:
                        hit = m
                        break
        if hit >= 0:
            out.append(pieces[hit][1])
            j = hit + 1
        else:
            out.append(None)
    return out


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
