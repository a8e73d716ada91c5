"""Article matching: ground-truth articles to output articles, one to one, plus split and merged.

Similarity is the overlap of character n-gram multisets rather than an edit distance, so that an
article whose paragraphs came out in the wrong order is still recognised as the same article (and then
scored for its order by the CER). CJK text uses trigrams, other scripts 5-grams (whitespace and
punctuation removed, lower-cased): shorter grams are shared by unrelated texts of the same language.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from ocr_pipeline.evaluate.normalize import is_cjk

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Profile:
    grams: Counter[str]
    size: int


def profile(text: str) -> Profile:
    chars = [c.lower() for c in text if not c.isspace() and unicodedata.category(c)[0] not in "PS"]
    if not chars:
        return Profile(Counter(), 0)
    cjk = sum(1 for c in chars if is_cjk(c))
    n = 3 if cjk * 3 >= len(chars) else 5
    s = "".join(chars)
    if len(s) <= n:
        grams = Counter([s])
    else:
        grams = Counter(s[i : i + n] for i in range(len(s) - n + 1))
    return Profile(grams, sum(grams.values()))


def overlap(a: Profile, b: Profile) -> int:
    if not a.size or not b.size:
        return 0
    small, big = (a, b) if len(a.grams) <= len(b.grams) else (b, a)
    return sum(min(c, big.grams[g]) for g, c in small.grams.items() if g in big.grams)


def _overlaps(truth: list[Profile], predicted: list[Profile]) -> list[list[int]]:
    """All pairwise overlaps through an inverted index: most grams occur in few articles."""
    index: dict[str, list[tuple[int, int]]] = {}
    for j, b in enumerate(predicted):
        for g, c in b.grams.items():
            index.setdefault(g, []).append((j, c))
    out = [[0] * len(predicted) for _ in truth]
    for i, a in enumerate(truth):
        row = out[i]
        for g, c in a.grams.items():
            for j, pc in index.get(g, ()):
                row[j] += c if c < pc else pc
    return out


@dataclass(slots=True)
class Matching:
    """Result of matching n truth items to m predicted items (by index)."""

    # truth index -> predicted index, one to one, similarity above the threshold
    pairs: dict[int, int] = field(default_factory=dict)
    similarity: dict[int, float] = field(default_factory=dict)
    # truth index -> predicted indices that mostly hold this truth item's text (two or more: split)
    split: dict[int, list[int]] = field(default_factory=dict)
    # predicted index -> truth indices it holds most of (two or more: merged)
    merged: dict[int, list[int]] = field(default_factory=dict)


def _assign(sim: list[list[float]]) -> list[tuple[int, int]]:
    """Maximum-similarity one-to-one assignment (Hungarian; greedy where scipy is missing)."""
    if not sim or not sim[0]:
        return []
    try:
        import numpy as np
        from scipy.optimize import linear_sum_assignment
    except ImportError:  # scipy is optional here: greedy is exact when the best pairs do not conflict
        log.warning("scipy is not installed; article matching falls back to greedy assignment")
        cand = sorted(((s, i, j) for i, row in enumerate(sim) for j, s in enumerate(row)), reverse=True)
        used_i: set[int] = set()
        used_j: set[int] = set()
        out = []
        for _, i, j in cand:
            if i not in used_i and j not in used_j:
                used_i.add(i)
                used_j.add(j)
                out.append((i, j))
        return out
    rows, cols = linear_sum_assignment(np.asarray(sim), maximize=True)
    return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True)]


def match_texts(
    truth: list[str],
    predicted: list[str],
    *,
    threshold: float = 0.3,
    part_share: float = 0.5,
    min_piece: float = 0.1,
) -> Matching:
    """Match truth texts to predicted texts.

    ``threshold``: least Dice similarity (2·overlap / (|truth| + |pred|)) for a one-to-one match.
    A predicted text is a *part* of a truth text when at least ``part_share`` of its n-grams come from
    it and it holds at least ``min_piece`` of the truth text; a truth text with two or more parts is
    split. A predicted text that holds at least ``part_share`` of each of two or more truth texts
    merged them.
    """
    tp = [profile(t) for t in truth]
    pp = [profile(p) for p in predicted]
    ov = _overlaps(tp, pp)
    sim = [
        [(2 * ov[i][j] / (a.size + b.size)) if a.size + b.size else 0.0 for j, b in enumerate(pp)]
        for i, a in enumerate(tp)
    ]
    m = Matching()
    for i, j in _assign(sim):
        if sim[i][j] >= threshold:
            m.pairs[i] = j
            m.similarity[i] = sim[i][j]
    for i, a in enumerate(tp):
        if not a.size:
            continue
        parts = [
            j for j, b in enumerate(pp)
            if b.size and ov[i][j] / b.size >= part_share and ov[i][j] / a.size >= min_piece
        ]
        if len(parts) >= 2:
            m.split[i] = parts
    for j, b in enumerate(pp):
        if not b.size:
            continue
        held = [i for i, a in enumerate(tp) if a.size and ov[i][j] / a.size >= part_share]
        if len(held) >= 2:
            m.merged[j] = held
    return m
