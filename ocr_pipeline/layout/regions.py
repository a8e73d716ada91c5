"""Text regions of a page by recursive XY-cut on white space and printed rules.

Newspaper columns are separated by gutters (white space, sometimes only about one character wide) or thin
vertical rules; articles by horizontal rules and white space. Whole-page line detection merges lines of
neighbouring columns (DESIGN.md, measured), so the regions found here bound where lines may be formed:
no region crosses a gutter or a rule, and the cut order gives a first reading order (top band before
bottom band, left column before right).

Works on a downscaled binary image: a 2,400 px wide page is analysed at about 1,000 px in a few tens of ms.
"""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass, field

import cv2
import numpy as np

from ocr_pipeline.model import BBox
from ocr_pipeline.util.threads import BESIDE

log = logging.getLogger(__name__)

ANALYSIS_WIDTH = 1200


@dataclass(slots=True)
class Rule:
    kind: str  # "hrule" | "vrule"
    bbox: BBox


@dataclass(slots=True)
class RegionResult:
    regions: list[BBox]  # in reading order, page pixels
    rules: list[Rule] = field(default_factory=list)
    char_height: float = 0.0  # typical body character height, page pixels
    columns: list[tuple[float, float]] = field(default_factory=list)
    photos: list[BBox] = field(default_factory=list)  # pictures: no text is looked for inside them
    # The page's ink mask as binarize() gives it at the analysis size (ANALYSIS_WIDTH wide at most), before
    # rules and photos are taken out of it: a caller working on the same pixels need not binarize again.
    ink: np.ndarray | None = None


def binarize(gray: np.ndarray) -> np.ndarray:
    """Ink mask (uint8 0/255, ink = 255) robust to uneven light: Otsu on a background-flattened image."""
    if gray.ndim == 3:
        gray = cv2.cvtColor(gray, cv2.COLOR_BGR2GRAY)
    k = max(15, (min(gray.shape) // 40) | 1)
    f = min(gray.shape) // 800  # the paper's brightness varies slowly: estimate it on a smaller copy
    if f >= 2:
        h, w = gray.shape
        small = cv2.resize(gray, (w // f, h // f), interpolation=cv2.INTER_AREA)
        kk = max(3, (k // f) | 1)
        closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (kk, kk)))
        background = cv2.resize(closed, (w, h), interpolation=cv2.INTER_LINEAR)
    else:
        background = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    flat = cv2.divide(gray, background, scale=255)
    _, ink = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink


def _char_height(ink: np.ndarray) -> float:
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return 10.0
    h = stats[1:, cv2.CC_STAT_HEIGHT]
    w = stats[1:, cv2.CC_STAT_WIDTH]
    keep = (h >= 3) & (w >= 2) & (h < ink.shape[0] / 20) & (w < ink.shape[1] / 20)
    if not keep.any():
        return 10.0
    # Characters are the commonest components; the upper quartile skips dots and strokes of Latin text.
    return float(np.percentile(h[keep], 75))


def _find_rules(ink: np.ndarray, ch: float) -> tuple[np.ndarray, list[tuple[str, int, int, int, int]]]:
    """Long thin lines: returned as boxes (small-image pixels) and removed from the ink mask."""
    h_img, w_img = ink.shape
    rules: list[tuple[str, int, int, int, int]] = []
    cleaned = ink.copy()
    for kind, ksize in (("hrule", (max(int(ch * 6), 20), 1)), ("vrule", (1, max(int(ch * 6), 20)))):
        for x, y, w, h in _line_components(ink, ksize):
            # A long rule drifts a pixel or two over its length (residual skew) and a heavy one (under
            # a masthead) is thicker than a hairline: allow for both, in proportion to its length.
            thin = (h <= max(3, ch * 0.35) + 0.004 * w) if kind == "hrule" else (w <= max(3, ch * 0.35) + 0.004 * h)
            long_ = (w >= ch * 8) if kind == "hrule" else (h >= ch * 8)
            if thin and long_:
                rules.append((kind, int(x), int(y), int(x + w), int(y + h)))
                cleaned[y : y + h, x : x + w] = 0
    return cleaned, rules


def _line_components(ink: np.ndarray, ksize: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """Boxes (x, y, w, h) of the components (8-connected) of ``ink`` opened with a rect kernel one pixel thick
    ((k, 1) or (1, k)), in the order ``cv2.connectedComponentsWithStats`` labels them on the whole page.

    Each row (column) is opened on its own, and after the erosion only the few rows (columns) on a long rule have
    any ink left: the dilation and the labelling run on those alone, each band of adjacent ones copied into a
    small image, a blank line apart (two thirds of the time less)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, ksize)
    eroded = cv2.erode(ink, kernel)
    along_rows = ksize[1] == 1
    runs = _runs(eroded.max(axis=1 if along_rows else 0) > 0)
    if not runs:
        return []
    # OpenCV labels in blocks of 2 x 2 pixels, each numbered as it is first met, by pairs of rows and in each by
    # pairs of columns: with every band starting on an even line on the page and in the copy, the copy's
    # components are met in the page's order. (The line before a band's first is blank on the page.)
    bands = []
    size = 0
    for a, b in runs:
        a -= a % 2
        size += size % 2
        bands.append((size, a, b - a))
        size += b - a + 1
    page_line = np.zeros(size, np.intp)  # each line of the copy: the page's line it holds
    copy = np.zeros((size, ink.shape[1]) if along_rows else (ink.shape[0], size), np.uint8)
    for at, a, n in bands:
        if along_rows:
            copy[at : at + n] = eroded[a : a + n]
        else:
            copy[:, at : at + n] = eroded[:, a : a + n]
        page_line[at : at + n] = np.arange(a, a + n)
    n, _, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(copy, kernel), connectivity=8)
    return [(x, int(page_line[y]), w, h) if along_rows else (int(page_line[x]), y, w, h)
            for x, y, w, h, _area in stats[1:n].tolist()]


def _gaps(profile: np.ndarray, min_gap: float) -> list[tuple[int, int]]:
    """Runs of empty positions at least ``min_gap`` long, not touching either end."""
    n = len(profile)
    return [(a, b) for a, b in _runs(profile == 0) if a > 0 and b < n and b - a >= min_gap]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True."""
    if not mask.any():
        return []
    # Where the mask changes, padded with False at both ends: starts and ends alternate.
    edges = np.flatnonzero(np.diff(np.concatenate(([False], mask.astype(bool, copy=False), [False])))).tolist()
    return list(zip(edges[0::2], edges[1::2], strict=True))


def _ink_counts(ink: np.ndarray) -> np.ndarray:
    """Summed-area table of the ink pixels (int32, one row and column more than ``ink``)."""
    return cv2.integral(np.greater(ink, 0).view(np.uint8), sdepth=cv2.CV_32S)


def _box_profiles(counts: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Ink pixels in each row and in each column of ``box`` (x0, y0, x1, y1), from ``_ink_counts``."""
    x0, y0, x1, y1 = box
    return (np.diff(counts[y0 : y1 + 1, x1] - counts[y0 : y1 + 1, x0]),
            np.diff(counts[y1, x0 : x1 + 1] - counts[y0, x0 : x1 + 1]))


def _xy_cut(
    ink: np.ndarray, box: tuple[int, int, int, int], ch: float, out: list[tuple[int, int, int, int]], depth: int = 0,
    counts: np.ndarray | None = None,
) -> None:
    x0, y0, x1, y1 = box
    if x1 <= x0 or y1 <= y0:
        return
    # Ink pixels per row and per column of the box, from the page's summed-area table: the length of the
    # box's sides, not its area, each time the recursion looks at a box (a quarter of the region finding's
    # time had gone into summing the same pixels again at every level). Only whether a row or column has
    # ink matters below. Shrinking the box to its ink drops only empty rows and columns, so the profiles of
    # the shrunk box are slices.
    if counts is None:
        counts = _ink_counts(ink)
    row_all, col_all = _box_profiles(counts, box)
    rows = np.flatnonzero(row_all)
    if rows.size == 0:
        return
    cols = np.flatnonzero(col_all)
    row_profile = row_all[rows[0] : rows[-1] + 1]
    col_profile = col_all[cols[0] : cols[-1] + 1]
    x0, x1 = x0 + int(cols[0]), x0 + int(cols[-1]) + 1
    y0, y1 = y0 + int(rows[0]), y0 + int(rows[-1]) + 1
    if depth > 40:
        out.append((x0, y0, x1, y1))
        return
    runs = _runs(row_profile > 0)
    # Gaps between the lines of one column are not cuts: only a gap clearly wider than the usual
    # interline space is (Latin lines without descenders leave wide gaps, so ch alone is not enough).
    line_gaps = [b[0] - a[1] for a, b in zip(runs, runs[1:], strict=False)]
    usual_gap = float(statistics.median(line_gaps)) if len(line_gaps) >= 3 else 0.0
    hgaps = _gaps(row_profile, max(2.0, ch * 0.9, usual_gap * 1.8))
    # A gutter runs beside several lines; inside a single line (a headline) a wide gap is a word space.
    line_h = float(statistics.median([b - a for a, b in runs])) if runs else ch
    # Word spaces can line up over two lines (a caption); from three lines on, a straight white gap is a
    # gutter. Gutters of short regions are found by the page grid instead (_grid_split).
    min_vgap = max(2.0, ch * 0.45) if len(runs) >= 3 else max(2.0, ch * 0.45, line_h * 1.5)
    vgaps = _gaps(col_profile, min_vgap)
    if hgaps:
        cuts = [y0] + [y0 + (a + b) // 2 for a, b in hgaps] + [y1]
        for a, b in zip(cuts, cuts[1:], strict=False):
            _xy_cut(ink, (x0, a, x1, b), ch, out, depth + 1, counts)
        return
    if vgaps:
        cuts = [x0] + [x0 + (a + b) // 2 for a, b in vgaps] + [x1]
        for a, b in zip(cuts, cuts[1:], strict=False):
            _xy_cut(ink, (a, y0, b, y1), ch, out, depth + 1, counts)
        return
    if (x1 - x0) >= ch * 0.8 or (y1 - y0) >= ch * 0.8:  # smaller: the stub of a rule, a speck
        out.append((x0, y0, x1, y1))


def _merge_stacked(regions: list[tuple[int, int, int, int]], ch: float) -> list[tuple[int, int, int, int]]:
    """Consecutive regions in reading order that sit directly under each other in the same column
    (paragraph gaps cut them apart) become one region: fewer, larger detection calls."""
    merged: list[tuple[int, int, int, int]] = []
    for r in regions:
        if merged:
            p = merged[-1]
            same_column = abs(r[0] - p[0]) <= ch * 1.2 and abs(r[2] - p[2]) <= ch * 1.2
            close_below = 0 <= r[1] - p[3] <= ch * 2.5
            if same_column and close_below:
                merged[-1] = (min(p[0], r[0]), p[1], max(p[2], r[2]), r[3])
                continue
        merged.append(r)
    return merged


def _segments(ink: np.ndarray, ch: float) -> np.ndarray:
    """Boxes (x0, y0, x1, y1) of runs of text: characters smeared along their line, not across gutters."""
    k = max(1, int(round(ch * 0.35)))
    smeared = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(smeared, connectivity=8)
    st = stats[1:]
    return np.stack([st[:, 0], st[:, 1], st[:, 0] + st[:, 2], st[:, 1] + st[:, 3]], axis=1) if n > 1 else np.zeros((0, 4), int)


def _gutters(segs: np.ndarray, width: int, ch: float) -> list[tuple[int, int]]:
    """Gutters of the page's column grid: x ranges that (almost) no run of body text covers, between
    ranges that many do. Counted over the whole page, so headlines and captions that span columns here
    and there do not hide them (they do hide them from a recursive cut)."""
    h = segs[:, 3] - segs[:, 1]
    w = segs[:, 2] - segs[:, 0]
    body = segs[(h >= 0.5 * ch) & (h <= 1.6 * ch) & (w >= 1.5 * ch)]
    if len(body) < 20:
        return []
    from ocr_pipeline.layout.grid import coverage_dips, span_coverage

    cover = span_coverage(body[:, [0, 2]], width)

    reach = int(max(8 * ch, 1.2 * float(np.median(body[:, 2] - body[:, 0]))))
    # Narrow dips inside a column (a word space that lines up for a few lines) are no gutters.
    return [(a, b) for a, b in coverage_dips(cover, reach) if (b - a) >= 0.3 * ch]


def _grid_split(ink: np.ndarray, leaves: list[tuple[int, int, int, int]], ch: float,
                gutters: list[tuple[int, int]], segs: np.ndarray,
                vrules: list[tuple[int, int, int, int]] | None = None) -> list[tuple[int, int, int, int]]:
    """Split each region that straddles a gutter of the grid: text that really spans the gutter (headline
    type, a caption under a wide photo) keeps its own region; the rest is cut into column strips."""
    out: list[tuple[int, int, int, int]] = []
    for r in leaves:
        x0, y0, x1, y1 = r
        inside = [(a, b) for a, b in gutters if a > x0 + ch and b < x1 - ch]
        if not inside:
            out.append(r)
            continue
        sel = segs[(segs[:, 0] >= x0 - 1) & (segs[:, 2] <= x1 + 1) & (segs[:, 1] >= y0 - 1) & (segs[:, 3] <= y1 + 1)]
        # Tall runs are headline type, unless thin: the stub of a rule in a gutter is no text, and as a
        # zone it would block the rows beside it in both columns.
        # Two lines of body text that touch (a descender on an ascender) make one tall run too: a
        # nearly empty row across its middle tells them apart.
        spanning = [
            tuple(int(v) for v in sg) for sg in sel
            if ((sg[3] - sg[1]) > 1.6 * ch and (sg[2] - sg[0]) >= 0.3 * (sg[3] - sg[1]) and _one_line(ink, sg))
            or any(sg[0] < a and sg[2] > b for a, b in inside)
        ]
        spanning += [s for s in _bridging(sel, inside, ch) if s not in spanning]
        # Pieces of headline type on a spanning line's row go with it (a short word without ascenders);
        # body-size text beside it does not: it may be the next column's.
        rows = [(sp[1], sp[3]) for sp in spanning if (sp[3] - sp[1]) > 1.6 * ch]
        spanning += [
            tuple(int(v) for v in sg) for sg in sel
            if (sg[3] - sg[1]) > 1.2 * ch and tuple(int(v) for v in sg) not in spanning
            and any(min(b, sg[3]) - max(a, sg[1]) > 0.5 * min(b - a, sg[3] - sg[1]) for a, b in rows)
        ]
        # Spanning runs on one row, a word space apart, form one region (a headline broken at its word
        # spaces); headlines of neighbouring articles on the same row stay apart.
        zones: list[list[int]] = []
        for sx0, sy0, sx1, sy1 in sorted(spanning, key=lambda z: z[0]):  # left to right along each row
            for z in zones:
                gap = max(sx0 - z[2], z[0] - sx1)
                ruled = any(min(z[2], sx1) - 2 <= (r[0] + r[2]) / 2 <= max(z[0], sx0) + 2
                            and r[1] <= max(z[3], sy1) + ch and r[3] >= min(z[1], sy0) for r in vrules or ())
                if (min(z[3], sy1) - max(z[1], sy0) > 0.5 * min(z[3] - z[1], sy1 - sy0)
                        and gap <= 1.5 * max(z[3] - z[1], sy1 - sy0) and not ruled):
                    z[0], z[1], z[2], z[3] = min(z[0], sx0), min(z[1], sy0), max(z[2], sx1), max(z[3], sy1)
                    break
            else:
                zones.append([sx0, sy0, sx1, sy1])
        _extend_zones(zones, sel, inside, ch, vrules or [])
        out.extend((z[0], z[1], z[2], z[3]) for z in zones)
        edges = [x0] + [(a + b) // 2 for a, b in inside] + [x1]
        for sx0, sx1 in zip(edges, edges[1:], strict=False):
            blocked = sorted((z[1], z[3]) for z in zones if z[0] < sx1 and z[2] > sx0)
            ys = [y0]
            for zy0, zy1 in blocked:
                ys += [zy0, zy1]
            ys.append(y1)
            for a, b in zip(ys[::2], ys[1::2], strict=False):
                # Next to a zone, the strip starts (ends) at the first blank row: the rows touching the
                # zone are the rest of its line (descenders, a comma), which read alone as garbage.
                # (A row with a few pixels of ink, the stub of a rule, counts as blank.)
                if a != y0:
                    while a < b and np.count_nonzero(ink[a, sx0:sx1]) > 3:
                        a += 1
                if b != y1:
                    while b > a and np.count_nonzero(ink[b - 1, sx0:sx1]) > 3:
                        b -= 1
                if b - a < ch * 0.5:
                    continue
                piece = ink[a:b, sx0:sx1]
                if not piece.any():
                    continue
                ys_ink = np.flatnonzero(piece.any(axis=1))
                xs_ink = np.flatnonzero(piece.any(axis=0))
                out.append((sx0 + int(xs_ink[0]), a + int(ys_ink[0]), sx0 + int(xs_ink[-1]) + 1, a + int(ys_ink[-1]) + 1))
    return out


def _one_line(ink: np.ndarray, box: np.ndarray) -> bool:
    """No nearly empty row across the middle half of the box: one line of (large) type."""
    x0, y0, x1, y1 = (int(v) for v in box)
    rows = np.count_nonzero(ink[y0:y1, x0:x1], axis=1)
    n = len(rows)
    if n < 4 or not rows.any():
        return True
    mid = rows[n // 4 : n - n // 4]
    return bool(mid.min() >= 0.15 * rows.max())


def _bridging(sel: np.ndarray, gutters: list[tuple[int, int]], ch: float) -> list[tuple[int, ...]]:
    """Runs of text on one row whose gap straddles a gutter but is only a word space, far narrower than
    the gutter: the line runs on across it (a Latin caption under a photo two columns wide, broken at
    its word spaces). Lines of two columns leave at least the gutter's width between them."""
    out: list[tuple[int, ...]] = []
    runs = [tuple(int(v) for v in sg) for sg in sel if 0.5 * ch <= sg[3] - sg[1] <= 1.6 * ch and sg[2] - sg[0] >= 0.5 * ch]
    for a, b in gutters:
        gc = (a + b) / 2
        left = [r for r in runs if r[2] <= gc + 1 and r[2] >= a - ch]
        right = [r for r in runs if r[0] >= gc - 1 and r[0] <= b + ch]
        for lr in left:
            for rr in right:
                overlap = min(lr[3], rr[3]) - max(lr[1], rr[1])
                if overlap > 0.6 * min(lr[3] - lr[1], rr[3] - rr[1]) and rr[0] - lr[2] < min(0.8 * ch, 0.6 * (b - a)):
                    out += [lr, rr]
    return out


def _extend_zones(zones: list[list[int]], sel: np.ndarray, gutters: list[tuple[int, int]], ch: float,
                  vrules: list[tuple[int, int, int, int]]) -> None:
    """A line that spans a gutter (a caption under a wide photo) also takes the runs of text on its row
    that lie within one column, a word space away ("3月13日，" before the spanning run, the credit
    "■本报记者 … 摄" after it). Left out, the column strip under the zone would hold the lower half of
    such a run and the recogniser would read both halves as garbage. A gutter or a rule between them
    keeps them apart: that is the next column's text."""
    runs = [(int(a), int(b), int(c), int(d)) for a, b, c, d in sel.tolist()]
    changed = True
    while changed:
        changed = False
        for z in zones:
            if z[2] - z[0] < 2 * ch:  # a stub of a rule or a tall speck, not a line of text
                continue
            for sx0, sy0, sx1, sy1 in runs:
                if sx0 >= z[0] and sx1 <= z[2] and sy0 >= z[1] and sy1 <= z[3]:
                    continue
                h = sy1 - sy0
                if h < 0.5 * ch or min(z[3], sy1) - max(z[1], sy0) <= 0.5 * min(z[3] - z[1], h):
                    continue
                lo, hi = (sx1, z[0]) if sx1 <= z[0] + 1 else (z[2], sx0)
                if hi - lo > 1.5 * ch:
                    continue
                if any(min(z[0], sx0) < (a + b) / 2 < max(z[2], sx1) and not z[0] < (a + b) / 2 < z[2]
                       for a, b in gutters):
                    continue
                if any(lo - 2 <= (r[0] + r[2]) / 2 <= hi + 2 and r[1] <= max(z[3], sy1) and r[3] >= min(z[1], sy0)
                       for r in vrules):
                    continue
                z[0], z[1], z[2], z[3] = min(z[0], sx0), min(z[1], sy0), max(z[2], sx1), max(z[3], sy1)
                changed = True


def _join_row_pieces(regions: list[tuple[int, int, int, int]], ch: float, gutters: list[tuple[int, int]],
                     vrules: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Pieces of one line that a cut split at a word space (a caption line broken after a comma, under a
    photo whose blanked area let the cut run through) are joined again, also to the region holding the
    rest of the caption, when no gutter of the grid and
    no rule lies between them: recognised apart, the pieces lose their order and their neighbours."""
    out = list(regions)
    # Whether two regions join depends on them alone: a pair found apart stays apart while both last.
    apart: set[tuple[tuple[int, int, int, int], tuple[int, int, int, int]]] = set()
    changed = True
    while changed:
        changed = False
        for i, a in enumerate(out):
            for j in range(i + 1, len(out)):
                b = out[j]
                if (a, b) in apart:
                    continue
                if not _joinable(a, b, ch, gutters, vrules):
                    apart.add((a, b))
                    continue
                out[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                del out[j]
                changed = True
                break
            if changed:
                break
    return out


def _joinable(a: tuple[int, int, int, int], b: tuple[int, int, int, int], ch: float, gutters: list[tuple[int, int]],
              vrules: list[tuple[int, int, int, int]]) -> bool:
    """Whether regions a and b hold pieces of the same lines (see _join_row_pieces)."""
    ha, hb = a[3] - a[1], b[3] - b[1]
    lo, hi = (a[2], b[0]) if a[0] <= b[0] else (b[2], a[0])
    # Short regions that overlap hold pieces of the same lines (a caption cut up at word
    # spaces both ways): read apart, each would take half of the other's letters.
    crossed = max(ha, hb) <= 3.5 * ch and hi < lo and min(a[3], b[3]) > max(a[1], b[1])
    # A region (mostly) inside another would be read twice.
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    crossed = crossed or (iw > 0 and ih > 0 and iw * ih >= 0.8 * min(
        (a[2] - a[0]) * ha, (b[2] - b[0]) * hb))
    if not crossed:
        # One of them is a single line, level with the first or last line of the other.
        if min(ha, hb) > 2.2 * ch or min(a[3], b[3]) - max(a[1], b[1]) < 0.6 * min(ha, hb):
            return False
        if abs(a[1] - b[1]) > 0.8 * ch and abs(a[3] - b[3]) > 0.8 * ch:
            return False
        if hi - lo > 1.2 * ch:
            return False
        # The joined line may cross no gutter that neither piece crossed already.
        u0, u1 = min(a[0], b[0]), max(a[2], b[2])
        if any(u0 < (g0 + g1) / 2 < u1 and not (a[0] < (g0 + g1) / 2 < a[2])
               and not (b[0] < (g0 + g1) / 2 < b[2]) for g0, g1 in gutters):
            return False
    return not any(lo - 2 <= (r[0] + r[2]) / 2 <= hi + 2 and r[1] <= max(a[3], b[3]) and r[3] >= min(a[1], b[1])
                   for r in vrules)


def _mostly_inside(box: tuple[int, int, int, int], photo: BBox, scale: float) -> bool:
    """Over half of ``box`` (small-image pixels) lies within ``photo`` (page pixels)."""
    x0, y0, x1, y1 = (v / scale for v in box)
    w = max(0.0, min(x1, photo[2]) - max(x0, photo[0]))
    h = max(0.0, min(y1, photo[3]) - max(y0, photo[1]))
    return w * h > 0.5 * max(1.0, x1 - x0) * max(1.0, y1 - y0)


def find_regions(gray: np.ndarray) -> RegionResult:
    """Regions of text in reading order, and the printed rules of the page."""
    from ocr_pipeline.layout.photos import find_photos, reduce_for_photos

    h, w = gray.shape[:2]
    # The photos' own reduction of the page (by a fractional factor: 4 ms of OpenCV) in the process's "beside"
    # thread meanwhile: it does not hold the interpreter, and much of the work below does.
    photo_page = BESIDE.get().submit(reduce_for_photos, gray)
    scale = min(1.0, ANALYSIS_WIDTH / w)
    small = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    page_ink = binarize(small)
    ch = _char_height(page_ink)
    ink, rule_boxes = _find_rules(page_ink, ch)
    # Rules cut regions: they stay removed from the ink, so they read as white space. Photos are blanked
    # too: a picture that reaches down beside the next article's headline would otherwise hold the two
    # articles together (stepped layouts).
    photos = find_photos(gray, ch / scale, photo_page.result())
    for x0, y0, x1, y1 in photos:
        ink[int(y0 * scale) : int(np.ceil(y1 * scale)) + 1, int(x0 * scale) : int(np.ceil(x1 * scale)) + 1] = 0
    # Straight edges inside a picture (windows, stripes, a horizon) are no rules.
    rule_boxes = [rb for rb in rule_boxes if not any(_mostly_inside(rb[1:], p, scale) for p in photos)]
    out: list[tuple[int, int, int, int]] = []
    _xy_cut(ink, (0, 0, ink.shape[1], ink.shape[0]), ch, out)
    segs = _segments(ink, ch)
    gutters = _gutters(segs, ink.shape[1], ch)
    vrule_boxes = [(x0, y0, x1, y1) for kind, x0, y0, x1, y1 in rule_boxes if kind == "vrule"]
    out = _grid_split(ink, out, ch, gutters, segs, vrule_boxes)
    out = _join_row_pieces(out, ch, gutters, vrule_boxes)
    out = _merge_stacked(out, ch)
    inv = 1.0 / scale
    pad = max(1.0, ch * 0.25)
    regions: list[BBox] = []
    for x0, y0, x1, y1 in out:
        # The detector loses stretches of a lone line cropped close above and below (measured on
        # caption lines under photos: whole phrases vanish at a quarter of a text height, none at
        # half), so a region of one line gets more room.
        vpad = max(pad, ch * 0.6) if (y1 - y0) <= 2.2 * ch else pad
        regions.append(
            (
                max(0.0, (x0 - pad) * inv),
                max(0.0, (y0 - vpad) * inv),
                min(float(w), (x1 + pad) * inv),
                min(float(h), (y1 + vpad) * inv),
            )
        )
    rules = [Rule(kind, (x0 * inv, y0 * inv, x1 * inv, y1 * inv)) for kind, x0, y0, x1, y1 in rule_boxes]
    # The outer columns end where the body text does, not at the paper's edge or a speck beside it.
    sh, sw = segs[:, 3] - segs[:, 1], segs[:, 2] - segs[:, 0]
    body = segs[(sh >= 0.5 * ch) & (sh <= 1.6 * ch) & (sw >= 1.5 * ch)]
    left_edge = int(body[:, 0].min()) if len(body) else 0
    right_edge = int(body[:, 2].max()) if len(body) else ink.shape[1]
    columns = [
        (float(a * inv), float(b * inv))
        for a, b in zip([left_edge] + [g[1] for g in gutters], [g[0] for g in gutters] + [right_edge], strict=True)
    ]
    return RegionResult(regions=regions, rules=rules, char_height=ch * inv, photos=photos, ink=page_ink,
                        columns=columns if gutters else [])


def find_regions_from_lines(lines: list, width: int, height: int) -> list[BBox]:
    """Regions for a page whose lines are already known (PDF text layer, imported OCR): the same XY-cut,
    run on a mask painted from the line boxes."""
    if not lines or width <= 0 or height <= 0:
        return []
    scale = min(1.0, ANALYSIS_WIDTH / width)
    mask = np.zeros((max(1, round(height * scale)), max(1, round(width * scale))), np.uint8)
    heights = []
    for ln in lines:
        x0, y0, x1, y1 = (round(v * scale) for v in ln.bbox)
        mask[max(0, y0) : max(y0 + 1, y1), max(0, x0) : max(x0 + 1, x1)] = 255
        heights.append(max(1, y1 - y0))
    ch = float(np.median(heights)) * 0.8
    out: list[tuple[int, int, int, int]] = []
    _xy_cut(mask, (0, 0, mask.shape[1], mask.shape[0]), ch, out)
    out = _merge_stacked(out, ch)
    inv = 1.0 / scale
    return [(x0 * inv - 1, y0 * inv - 1, x1 * inv + 1, y1 * inv + 1) for x0, y0, x1, y1 in out]
