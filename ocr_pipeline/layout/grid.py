"""The column grid of a page, from its lines, and text regions cut along it.

A page's columns show where body lines stack: the x positions that many body lines cover are columns,
those that (almost) none covers between them are gutters. Headlines and other spanning lines interrupt
gutters, which defeats a pure XY-cut; counting coverage over the whole page does not mind them.
Used for pages whose lines are known before layout (PDF text layer, imported ALTO/PAGE OCR).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ocr_pipeline.model import BBox, Line


def _height(ln: Line) -> float:
    return float(ln.bbox[3] - ln.bbox[1])


def column_grid(lines: list[Line], width: int, body_h: float) -> list[tuple[float, float]]:
    """Columns (x0, x1) in page pixels, left to right; empty when the lines show no column structure.

    A gutter is a dip in coverage: far below the coverage of the text on both sides of it (within about
    a column's width). Not an absolute zero, since headlines, decks and sloppy boxes of archive OCR
    cross gutters here and there."""
    if not lines or width <= 0:
        return []
    spans = []
    widths = []
    for ln in lines:
        w = ln.bbox[2] - ln.bbox[0]
        if abs(_height(ln) - body_h) <= 0.35 * body_h and w < 0.6 * width and w > 4 * body_h:
            spans.append((max(0, int(ln.bbox[0])), max(0, int(ln.bbox[2]))))
            widths.append(w)
    if len(widths) < 10:
        return []
    cover = span_coverage(spans, int(width))
    reach = int(max(8 * body_h, 1.2 * float(np.median(widths))))  # about a column on each side
    gutters = coverage_dips(cover, reach)
    nz = np.flatnonzero(cover)
    if not len(nz) or not gutters:
        return []
    edges = [int(nz[0])] + [v for g in gutters for v in g] + [int(nz[-1]) + 1]
    cols = [(float(a), float(b)) for a, b in zip(edges[::2], edges[1::2], strict=True) if b - a >= 3 * body_h]
    return cols if len(cols) >= 2 else []


def span_coverage(spans: Sequence[tuple[int, int]] | np.ndarray, width: int) -> np.ndarray:
    """How many of the spans [x0, x1) cover each x of 0..width (int32, width + 1 long; spans clipped to it):
    +1 where a span starts and -1 where it ends, summed up."""
    n = width + 1
    s = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    x0, x1 = np.clip(s[:, 0], 0, n), np.clip(s[:, 1], 0, n)
    keep = x1 > x0
    steps = np.zeros(n + 1, np.int32)
    np.add.at(steps, x0[keep], 1)
    np.add.at(steps, x1[keep], -1)
    return np.cumsum(steps[:n], dtype=np.int32)


def coverage_dips(cover: np.ndarray, reach: int) -> list[tuple[int, int]]:
    """Gutters in a coverage profile (how much body text covers each x): dips whose bottom lies far
    below the text on both sides within ``reach``. Not an absolute zero, since headlines, captions and
    the sloppy boxes of archive OCR cross gutters here and there."""
    n = len(cover)
    if n == 0 or reach <= 0:
        return []
    # The highest coverage in the ``reach`` positions before each x (0 where there are none), all at once.
    padded = np.concatenate([np.zeros(reach, cover.dtype), cover[:-1]])
    left_max = sliding_window_view(padded, reach).max(axis=1).tolist()
    vals = cover.tolist()
    gutters: list[tuple[int, int]] = []
    x = 0
    while x < n:
        top = left_max[x]
        if top == 0:
            x += 1
            continue
        limit = 0.3 * top
        if vals[x] > limit:
            x += 1
            continue
        end = x
        while end < n and vals[end] <= limit:
            end += 1
        right = cover[end : end + reach]
        # The bottom of the dip, not its sloping edges, must lie far below the text on both sides.
        if len(right) and end < n - 1 and min(vals[x:end]) <= 0.2 * min(top, int(right.max())):
            gutters.append((x, end))
        x = end + 1
    return gutters


def line_columns(bbox: BBox, grid: list[tuple[float, float]]) -> tuple[int, int] | None:
    """First and last column a box covers (by at least a third of the column, or its centre)."""
    hit = [i for i, (x0, x1) in enumerate(grid) if min(x1, bbox[2]) - max(x0, bbox[0]) >= (x1 - x0) / 3]
    if not hit:
        cx = (bbox[0] + bbox[2]) / 2
        hit = [i for i, (x0, x1) in enumerate(grid) if x0 <= cx <= x1]
    return (hit[0], hit[-1]) if hit else None


def regions_from_grid(lines: list[Line], grid: list[tuple[float, float]], body_h: float,
                      hrules: list[BBox] | None = None) -> list[BBox]:
    """Regions of lines that share a column span and follow each other closely, cut at rules and at lines
    of another span that lie between them; in order of top, then left."""
    hrules = hrules or []
    span_of = {ln.id: line_columns(ln.bbox, grid) for ln in lines}
    ordered = sorted(lines, key=lambda x: (x.bbox[1], x.bbox[0]))
    tops = [ln.bbox[1] for ln in ordered]
    groups: list[list[Line]] = []
    open_group: dict[tuple[int, int] | None, list[Line]] = {}
    for ln in ordered:
        span = span_of[ln.id]
        g = open_group.get(span)
        if g is not None and _continues(g[-1], ln, body_h, hrules, ordered, tops, span_of, span):
            g.append(ln)
            continue
        g = [ln]
        groups.append(g)
        open_group[span] = g
    out = []
    for g in groups:
        out.append((min(ln.bbox[0] for ln in g) - 1, min(ln.bbox[1] for ln in g) - 1,
                    max(ln.bbox[2] for ln in g) + 1, max(ln.bbox[3] for ln in g) + 1))
    return out


def _continues(prev: Line, ln: Line, body_h: float, hrules: list[BBox], ordered: list[Line],
               tops: list[float], span_of: dict[str, tuple[int, int] | None], span: tuple[int, int] | None) -> bool:
    gap = ln.bbox[1] - prev.bbox[3]
    if gap > max(2.0 * body_h, 1.2 * _height(prev)):
        return False
    x0, x1 = max(prev.bbox[0], ln.bbox[0]), min(prev.bbox[2], ln.bbox[2])
    for r in hrules:
        y = (r[1] + r[3]) / 2
        if prev.bbox[3] - 2 <= y <= ln.bbox[1] + 2 and min(r[2], x1) - max(r[0], x0) > 0:
            return False
    # Only lines starting between the two can lie between them: find them by bisection on the tops.
    for other in ordered[bisect_right(tops, prev.bbox[1]) : bisect_left(tops, ln.bbox[1])]:
        if other is prev or other is ln or span_of[other.id] == span:
            continue
        if min(other.bbox[2], x1) - max(other.bbox[0], x0) > 0:
            return False
    return True


def split_at_gutters(lines: list[Line], columns: list[tuple[float, float]]) -> list[Line]:
    """Lines of a text layer cut where they cross a column gutter found in the page image.

    A PDF's text layer groups glyphs into lines by position and content-stream order; on a page with
    narrow gutters two columns' lines can come out as one ("curveball with a fastball final out of ...").
    A line is cut between two characters whose blank gap covers the middle of a gutter and is at least
    half as wide as the gutter; body-size lines only, so the word spaces of a headline set across several
    columns are left alone. Lines without character boxes are kept as they are.
    """
    gutters = [(b, a) for (_, b), (a, _) in zip(columns, columns[1:], strict=False) if a > b]
    if not gutters or not lines:
        return lines
    # Body size from the lines themselves: a text layer's boxes are the fonts' full height, not the ink's.
    body_h = float(np.median([_height(ln) for ln in lines]))
    out: list[Line] = []
    for ln in lines:
        chars = ln.chars or []
        if len(chars) < 2 or _height(ln) > 1.3 * body_h:
            out.append(ln)
            continue
        cuts: list[int] = []
        ink = [i for i, c in enumerate(chars) if c.text.strip()]
        for i, j in zip(ink, ink[1:], strict=False):
            left, right = chars[i].bbox[2], chars[j].bbox[0]
            if any(left <= (g0 + g1) / 2 <= right and right - left >= 0.5 * (g1 - g0) for g0, g1 in gutters):
                cuts.append(j)
        if not cuts:
            out.append(ln)
            continue
        for n, (a, b) in enumerate(zip([0, *cuts], [*cuts, len(chars)], strict=True)):
            part = chars[a:b]
            while part and not part[-1].text.strip():
                part = part[:-1]
            while part and not part[0].text.strip():
                part = part[1:]
            if not part:
                continue
            box = (min(c.bbox[0] for c in part), min(c.bbox[1] for c in part),
                   max(c.bbox[2] for c in part), max(c.bbox[3] for c in part))
            out.append(Line(id=f"{ln.id}.{n + 1}", bbox=box, text="".join(c.text for c in part),
                            confidence=ln.confidence, chars=list(part)))
    return out
