"""Character error rates and paragraph-boundary agreement through the character alignment."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein


def edit_distance(truth: str, predicted: str) -> int:
    return int(Levenshtein.distance(truth, predicted))


def cer(truth: str, predicted: str) -> float | None:
    """Edit distance over ground-truth length; None where the truth is empty (nothing to score)."""
    if not truth:
        return None
    return edit_distance(truth, predicted) / len(truth)


@dataclass(slots=True)
class PRF:
    """True positives, false positives and false negatives, with precision, recall and F1 derived.

    Where nothing was expected and nothing was claimed the score is perfect (1.0); where something was
    expected and nothing claimed, precision is 0.0 rather than undefined, so that an empty output never
    looks better than a wrong one.
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: PRF) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        if self.tp + self.fp == 0:
            return 1.0 if self.fn == 0 else 0.0
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float:
        if self.tp + self.fn == 0:
            return 1.0 if self.fp == 0 else 0.0
        return self.tp / (self.tp + self.fn)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)

    def to_dict(self) -> dict[str, float | int]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": self.precision,
                "recall": self.recall, "f1": self.f1}


def position_map(truth: str, predicted: str) -> list[int]:
    """For every index of ``truth`` (and one past the end), the index in ``predicted`` it aligns to.

    Built from the Levenshtein opcodes: equal and substituted runs map one to one, a deleted truth
    character maps to where the deletion happened in the prediction.
    """
    out = [0] * (len(truth) + 1)
    for op in Levenshtein.opcodes(truth, predicted):
        tag, i1, i2, j1, j2 = op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end
        if tag == "insert":
            continue
        for k in range(i1, i2):
            if tag == "delete":
                out[k] = j1
            else:
                out[k] = j1 + min(k - i1, j2 - j1 - 1)
    out[len(truth)] = len(predicted)
    return out


def boundary_prf(truth: str, predicted: str, *, tolerance: int = 2, sep: str = "\n") -> PRF:
    """Paragraph boundaries (the ``sep`` characters) of the truth mapped into the prediction.

    A predicted boundary within ``tolerance`` characters of a mapped truth boundary is a hit; each
    boundary is used at most once (nearest first).
    """
    gt = [i for i, ch in enumerate(truth) if ch == sep]
    pr = [j for j, ch in enumerate(predicted) if ch == sep]
    if not gt or not pr:
        return PRF(0, len(pr), len(gt))
    pmap = position_map(truth, predicted)
    mapped = [pmap[i] for i in gt]
    pairs = sorted(
        (abs(m - j), gi, pj) for gi, m in enumerate(mapped) for pj, j in enumerate(pr) if abs(m - j) <= tolerance
    )
    used_g: set[int] = set()
    used_p: set[int] = set()
    for _, gi, pj in pairs:
        if gi in used_g or pj in used_p:
            continue
        used_g.add(gi)
        used_p.add(pj)
    tp = len(used_g)
    return PRF(tp, len(pr) - tp, len(gt) - tp)
