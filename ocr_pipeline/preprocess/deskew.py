"""Skew estimation by projection profiles of the ink, in a coarse-then-fine angle search.

The page is reduced to about 1,100 px on its long side and binarised; components too large to be text
(photos, boxes, long vertical rules) are dropped. For each candidate angle the ink pixels are sheared onto
rows and the score is the sum of squared differences between neighbouring rows (Postl's criterion, as in
Leptonica): it peaks when text lines and horizontal rules fall onto as few rows as possible. Shearing
the pixel coordinates with ``np.bincount`` is much cheaper than rotating the image for every angle.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

log = logging.getLogger(__name__)

_WORK_SIDE = 1100  # long side of the reduced page the search runs on
# Ink pixels used by the coarse and the fine angle search; more cost time and add no precision.
_COARSE_POINTS = 40_000
_FINE_POINTS = 150_000


@dataclass(slots=True)
class InkPoints:
    """Ink pixel coordinates of a reduced page, centred on the page, plus the reduction scale."""

    xs: np.ndarray  # float32, x - width/2
    ys: np.ndarray  # float32
    width: int
    height: int
    scale: float
    # Vertical strip of each point, per strip count: the same for every angle tried.
    _strips: dict[int, np.ndarray] = field(default_factory=dict, repr=False, compare=False)
    _bases: dict[int, tuple[np.ndarray, int]] = field(default_factory=dict, repr=False, compare=False)

    def transposed(self) -> InkPoints:
        """The same ink seen with rows and columns swapped (a page turned by 90 degrees, mirrored).

        A mirror only flips the sign of a skew: the clockwise-turned page's skew is minus this one's."""
        return InkPoints(
            xs=(self.ys - self.height / 2.0).astype(np.float32),
            ys=(self.xs + self.width / 2.0).astype(np.float32),
            width=self.height,
            height=self.width,
            scale=self.scale,
        )

    def strip_of(self, strips: int) -> np.ndarray:
        idx = self._strips.get(strips)
        if idx is None:
            idx = np.clip(((self.xs / self.width + 0.5) * strips).astype(np.intp), 0, strips - 1)
            self._strips[strips] = idx
        return idx

    def strip_base(self, strips: int, subrows: int) -> tuple[np.ndarray, int]:
        """Each point's strip times a stride of at least ``subrows`` sub-rows, and the stride: a point's bin is
        this plus its sub-row, one addition per angle tried. The stride first chosen holds the sheared page at
        any angle up to 45 degrees; a steeper one makes it again, wider."""
        got = self._bases.get(strips)
        if got is None or got[1] < subrows:
            stride = max(subrows, (self.height + self.width + 2) * _SUBROWS)
            got = self._bases[strips] = (self.strip_of(strips) * stride, stride)
        return got


def _subsample(pts: InkPoints, limit: int, seed: int = 0) -> InkPoints:
    if pts.xs.size <= limit:
        return pts
    # Deterministic: the same page always gives the same angle.
    idx = np.random.default_rng(seed).choice(pts.xs.size, limit, replace=False)
    return InkPoints(pts.xs[idx], pts.ys[idx], pts.width, pts.height, pts.scale)


def reduce_page(gray: np.ndarray, *, side: int = _WORK_SIDE) -> tuple[np.ndarray, float]:
    """The page reduced to ``side`` pixels on its long side (area averaging), and the scale used."""
    h, w = gray.shape
    scale = min(1.0, side / max(h, w))
    small = cv2.resize(
        gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    return small, scale


def ink_threshold(small: np.ndarray) -> np.ndarray:
    """Ink (1) and paper (0) of a reduced page by an adaptive mean threshold: works on an unnormalised
    page with uneven light too."""
    block = max(15, (round(min(small.shape) / 25)) | 1)
    return cv2.adaptiveThreshold(small, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 12)


def text_ink(binary: np.ndarray) -> np.ndarray:
    """The text-sized components of an ink mask (uint8 0/1)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if n <= 1:
        return binary
    sh, sw = binary.shape
    ws, hs = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    area = stats[:, cv2.CC_STAT_AREA]
    # Only text-sized components: photos, boxes and rules are dropped in both directions alike, so the
    # evidence for "lines run across" and "lines run down" is measured the same way (a newspaper's
    # column rules would otherwise vote for a turned page).
    limit = max(8, min(sh, sw) // 10)
    keep = (hs <= limit) & (ws <= limit) & (area >= 2)
    keep[0] = False
    # np.take: half the time of indexing with the labels.
    return np.take(keep.astype(np.uint8), labels)  # type: ignore[arg-type]


def ink_mask(gray: np.ndarray, *, side: int = _WORK_SIDE) -> tuple[np.ndarray, float]:
    """Reduced binary ink mask (uint8 0/1) with text-sized components only, and its scale."""
    small, scale = reduce_page(gray, side=side)
    return text_ink(ink_threshold(small)), scale


def ink_points(gray: np.ndarray, *, side: int = _WORK_SIDE, seed: int = 0) -> InkPoints:
    mask, scale = ink_mask(gray, side=side)
    return points_of(mask, scale, seed=seed)


def points_of(mask: np.ndarray, scale: float, *, seed: int = 0) -> InkPoints:
    """The ink pixels of a reduced mask as points."""
    # OpenCV's scan gives the pixels in np.nonzero's order (row by row), in a quarter of its time.
    found = cv2.findNonZero(np.ascontiguousarray(mask, dtype=np.uint8))
    xs, ys = (found[:, 0, 0], found[:, 0, 1]) if found is not None else (np.zeros(0, np.int32),) * 2
    h, w = mask.shape
    # Spread each pixel over its own square (dither): integer coordinates would make the profile
    # sharpest at exactly 0 degrees and bias every page towards "not skewed".
    jitter = np.random.default_rng(seed + 1).random((2, xs.size), dtype=np.float32)
    return InkPoints(
        xs=(xs.astype(np.float32) + jitter[0] - w / 2.0),
        ys=ys.astype(np.float32) + jitter[1],
        width=w,
        height=h,
        scale=scale,
    )


# Sub-rows per row when splatting: a point's weight goes to its row and the next in proportion to where in
# the row it falls, to within 1/16 of a row (one count of sub-rows, then a small product, instead of two
# weighted counts over every point: half the time).
_SUBROWS = 8
_SPLAT = np.array(
    [[1.0 - (q + 0.5) / _SUBROWS for q in range(_SUBROWS)], [(q + 0.5) / _SUBROWS for q in range(_SUBROWS)]]
)


def _profiles(pts: InkPoints, angle: float, strips: int) -> np.ndarray:
    """Row profiles of the sheared ink, one per vertical strip of the page (strips x rows)."""
    yy = pts.ys + pts.xs * np.float32(math.tan(math.radians(angle)))
    yy -= yy.min()
    # Linear splatting into two neighbouring rows: plain rounding aliases at angle 0, where every
    # coordinate is an integer, and would make 0 win on any page. (yy >= 0: truncation is the floor.)
    sub = (yy * _SUBROWS).astype(np.intp)
    n = int(sub.max()) // _SUBROWS + 2
    # Each strip's counts at a fixed stride, cut to the n rows this angle fills.
    base, stride = pts.strip_base(strips, n * _SUBROWS)
    sub += base
    counts = np.bincount(sub, minlength=strips * stride).reshape(strips, -1, _SUBROWS)[:, :n].astype(np.float64)
    prof = counts @ _SPLAT[0]
    prof[:, 1:] += (counts @ _SPLAT[1])[:, :-1]
    return prof


def _score(pts: InkPoints, angle: float) -> float:
    # Whole-width rows give the sharpest peak; rows per third of the page keep columns whose lines do
    # not share a baseline grid from creating false peaks by interfering. The sum has both.
    prof = _profiles(pts, angle, 3)
    d3 = np.diff(prof, axis=1)
    d1 = np.diff(prof.sum(axis=0))
    return float(np.einsum("ij,ij->", d3, d3) + np.dot(d1, d1))


def gap_score(pts: InkPoints, angle: float, *, strips: int = 8, max_gap: float = 0.012) -> float:
    """Evidence that text runs along the rows: blank rows between ink rows, inside each strip.

    Horizontal text leaves blank rows between its lines (leading). Seen the other way, the blank gaps
    between characters are much thinner, even where Chinese characters sit on a grid, and word spaces
    of Latin text do not line up from line to line. Gaps taller than ``max_gap`` of the page (photos,
    paragraph breaks, gutters) are not counted. Returns blank rows per 1,000 ink rows.
    """
    if pts.xs.size < 50:
        return 0.0
    prof = _profiles(pts, angle, strips)
    cap = max(3, round(max_gap * max(pts.width, pts.height)))
    total = 0
    inked = 0
    for row in prof:
        ink = row > 0.5
        if ink.sum() < 3:
            continue
        first, last = np.argmax(ink), len(ink) - 1 - np.argmax(ink[::-1])
        seg = ink[first : last + 1]
        inked += int(seg.sum())
        # Lengths of blank runs: positions where ink turns off and on again.
        edges = np.flatnonzero(np.diff(seg.astype(np.int8)))
        runs = edges[1::2] - edges[0::2]
        total += int(runs[(runs >= 2) & (runs <= cap)].sum())
    return 1000.0 * total / max(1, inked)


def search_angle(pts: InkPoints, max_skew: float, *, fine: bool = True) -> tuple[float, float, float]:
    """Best angle (degrees, counter-clockwise positive), a score and a confidence (best / median).

    The score is the profile's at the coarse grid's best angle, measured on the fine search's larger
    sample of points (more points separate the peak from the noise better): comparable between two
    searches whether they went on to the fine grid or not. ``fine=False`` stops at the coarse grid
    (0.25 degrees)."""
    if pts.xs.size < 50:
        return 0.0, 0.0, 0.0
    coarse_pts = _subsample(pts, _COARSE_POINTS)
    # Every half degree, then the quarter degrees either side of the best: the peak is wider than that.
    coarse = np.arange(-max_skew, max_skew + 1e-9, 0.5)
    scores = np.array([_score(coarse_pts, float(a)) for a in coarse])
    # Confidence on the coarse sample, where best and median come from the same points.
    med = float(np.median(scores))
    top = float(coarse[int(np.argmax(scores))])
    sides = [a for a in (top - 0.25, top + 0.25) if -max_skew <= a <= max_skew]
    side_scores = [_score(coarse_pts, a) for a in sides]
    scores = np.concatenate([scores, side_scores])
    best = float(np.concatenate([coarse, sides])[int(np.argmax(scores))])
    conf = float(scores.max() / med) if med > 0 else 0.0
    fine_pts = _subsample(pts, _FINE_POINTS)
    if not fine:
        return best, _score(fine_pts, best), conf
    step = 0.05
    # The grid steps away from ``best`` both ways, so that ``best`` itself is one of its points.
    below = np.arange(best, max(best - 0.3, -max_skew) - 1e-9, -step)[::-1]
    above = np.arange(best + step, min(best + 0.3, max_skew) + 1e-9, step)
    grid = np.concatenate([below, above])
    fscores = np.array([_score(fine_pts, float(a)) for a in grid])
    i = int(np.argmax(fscores))
    angle = float(grid[i])
    if 0 < i < len(grid) - 1:
        # Parabola through the peak and its neighbours: sub-step precision for free.
        s0, s1, s2 = fscores[i - 1], fscores[i], fscores[i + 1]
        den = s0 - 2 * s1 + s2
        if den < 0:
            angle += 0.5 * (s0 - s2) / den * step
    angle = float(np.clip(angle, -max_skew, max_skew))
    return angle, float(fscores[len(below) - 1]), conf


def estimate_skew(gray: np.ndarray, max_skew: float = 5.0) -> tuple[float, float]:
    """Skew of the text lines in degrees (positive: lines rise to the right) and a confidence (>= 1).

    A confidence near 1 means the profile barely changes with the angle (no text): treat the angle as 0.
    """
    pts = ink_points(gray)
    angle, _, conf = search_angle(pts, max_skew)
    return angle, conf


def rotation_matrix(width: int, height: int, angle: float) -> np.ndarray:
    """2x3 matrix, continuous pixel coordinates, that turns a page by ``angle`` degrees counter-clockwise
    (as seen) about its centre."""
    a = math.radians(angle)
    c, s = math.cos(a), math.sin(a)
    cx, cy = width / 2.0, height / 2.0
    # y points down, so a counter-clockwise turn on screen is x' = c*x + s*y, y' = -s*x + c*y.
    return np.array([[c, s, cx - c * cx - s * cy], [-s, c, cy + s * cx - c * cy]], dtype=np.float64)


def warp(gray: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a continuous-coordinate 2x3 matrix with cv2 (whose pixel centres sit on integers)."""
    h, w = gray.shape[:2]
    m = matrix.copy()
    m[:, 2] = matrix[:, :2] @ np.array([0.5, 0.5]) + matrix[:, 2] - 0.5
    return cv2.warpAffine(
        gray,
        m,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(255, 255, 255, 255),
    )
