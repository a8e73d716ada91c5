"""Preprocessing: grayscale, contrast normalisation, orientation (0/90/180/270) and deskew.

``preprocess(image)`` returns the straightened, upright grayscale page together with what was done to it
(rotation, skew, provenance steps) and the affine transform back to the input's coordinates. Geometry is
resampled once: quarter turns and the upside-down flip are exact pixel moves, only the skew correction
interpolates.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from ocr_pipeline import __version__
from ocr_pipeline.model import Line, ProcessingStep
from ocr_pipeline.preprocess.contrast import binarize, estimate_background, normalize_contrast, to_gray
from ocr_pipeline.preprocess.deskew import (
    estimate_skew,
    gap_score,
    ink_threshold,
    points_of,
    reduce_page,
    rotation_matrix,
    search_angle,
    text_ink,
    warp,
)
from ocr_pipeline.preprocess.orientation import CLS_MODEL_NAME, FlipVote, detect_upside_down
from ocr_pipeline.preprocess.transform import Transform, quarter_turn_matrix
from ocr_pipeline.util.threads import BESIDE

__all__ = [
    "Preprocessed",
    "Transform",
    "binarize",
    "detect_upside_down",
    "estimate_background",
    "estimate_skew",
    "normalize_contrast",
    "preprocess",
    "to_gray",
]

log = logging.getLogger(__name__)

# Below this the profile barely depends on the angle: no text to measure, leave the page alone.
_MIN_SKEW_CONFIDENCE = 1.15
# Corrections smaller than this cost a resampling (slight blur) for no gain in OCR or layout.
_MIN_SKEW = 0.1
# Turn a page only on clear evidence that its lines run vertically (log-ratio, see ``_line_direction``):
# a wrong quarter turn ruins a page, a missed one is seen at once in review.
_QUARTER_TURN_EVIDENCE = 1.0
# A page read at least this confidently (PP-OCR recognition, characters weighted) is the right way up; see
# ``Preprocessed.settle_flip``. Below it, or with fewer characters than this, the classifier votes.
UPRIGHT_READING_CONFIDENCE = 0.95
_MIN_READ_CHARS = 200


@dataclass(slots=True)
class Preprocessed:
    """A preprocessed page.

    ``rotation``: the clockwise quarter turn (0/90/180/270) applied to make the page upright.
    ``skew``: degrees the text lines were tilted (counter-clockwise positive, i.e. rising to the right),
    after the quarter turn; the page was turned by ``-skew`` to straighten it.
    ``transform`` maps coordinates between the input image and ``image``.
    """

    image: np.ndarray
    rotation: int = 0
    skew: float = 0.0
    steps: list[ProcessingStep] = field(default_factory=list)
    transform: Transform | None = None
    # Set by ``preprocess(..., defer_flip=True)`` on a page not quarter-turned whose upside-down test waits for
    # its lines (``settle_flip``).
    flip_pending: _PendingFlip | None = None

    def to_source(self, x: float, y: float) -> tuple[float, float]:
        """A point of ``image`` in the input image's coordinates."""
        if self.transform is None:
            return x, y
        return self.transform.to_source(x, y)

    def settle_flip(self, lines: Sequence[Line]) -> Preprocessed:
        """The page with its upside-down test settled, given the lines read from ``image``.

        Lines read with a confidence of at least ``UPRIGHT_READING_CONFIDENCE`` (a mean weighted by their
        characters) are text the right way up: turned over, the recognizer read 0.58-0.81 on every sample and
        real page tried, against 0.97-0.995 upright. Otherwise (a poor scan, little text, a page upside
        down) the direction classifier votes, as it does when the test is not deferred. Returns this page
        when nothing changed, else the page turned over, to be read again."""
        pending = self.flip_pending
        if pending is None:
            return self
        conf, chars = reading_confidence(lines)
        if chars >= _MIN_READ_CHARS and conf >= UPRIGHT_READING_CONFIDENCE:
            step = _step("orientation", method="recognition confidence", confidence=round(conf, 3),
                         characters=chars, upright_from=UPRIGHT_READING_CONFIDENCE, upside_down=False)
            return replace(self, steps=[*self.steps, step], flip_pending=None)
        small = pending.small if pending.small is not None else reduce_page(self.image)[0]
        steps = list(self.steps)
        h, w = self.image.shape[:2]
        image, transform, rotation = _vote_upside_down(self.image, small, self.transform or Transform.identity(w, h),
                                                       self.rotation, pending.threads, steps)
        return replace(self, image=image, transform=transform, rotation=rotation, steps=steps, flip_pending=None)


@dataclass(slots=True)
class _PendingFlip:
    small: np.ndarray | None  # the page reduced for the classifier; None: reduce it when needed
    threads: int


def reading_confidence(lines: Sequence[Line]) -> tuple[float, int]:
    """Mean recognition confidence of ``lines`` weighted by their characters (spaces not counted), and the
    number of characters."""
    total = 0.0
    chars = 0
    for ln in lines:
        n = len(ln.text) - ln.text.count(" ")
        total += ln.confidence * n
        chars += n
    return (total / chars if chars else 0.0), chars


def _vote_upside_down(
    gray: np.ndarray, small: np.ndarray, transform: Transform, rotation: int, threads: int,
    steps: list[ProcessingStep],
) -> tuple[np.ndarray, Transform, int]:
    """The direction classifier's vote on a straightened page, recorded in ``steps``; the page turned over
    when it says so."""
    vote: FlipVote = detect_upside_down(gray, threads=threads, small=small)
    if vote.flipped:
        h, w = gray.shape[:2]
        gray = cv2.rotate(gray, cv2.ROTATE_180)
        transform = transform.then(quarter_turn_matrix(w, h, 180), (w, h))
        rotation = (rotation + 180) % 360
    steps.append(
        _step(
            "orientation",
            method="ppocr direction classifier",
            model=CLS_MODEL_NAME,
            crops=vote.crops,
            votes_180=vote.votes_180,
            votes_0=vote.votes_0,
            upside_down=vote.flipped,
        )
    )
    return gray, transform, rotation


def _smear_cue(small: np.ndarray) -> float:
    """Log ratio of ink components after smearing along the columns vs along the rows, on the reduced page.

    Smearing by a fraction of a character joins the characters of a line (set close together) but not
    the lines (set apart by their leading): with lines along the rows, row smearing leaves far fewer
    components. Strong for Chinese set on a square grid, where the profile cues are weak; measured +0.5
    to +1.3 on upright and -0.8 to -1.0 on quarter-turned sample and archive pages.
    """
    ink = binarize(small, invert=True)  # 0 or 255
    n, _, st, _ = cv2.connectedComponentsWithStats(ink)
    hs, ws = st[1:, cv2.CC_STAT_HEIGHT], st[1:, cv2.CC_STAT_WIDTH]
    keep = (hs > 2) & (ws > 2) & (hs < 60) & (ws < 60)
    if n < 20 or not keep.any():
        return 0.0
    ch = float(np.median(np.maximum(hs[keep], ws[keep])))
    k = max(2, round(ch * 0.4))
    along_rows = cv2.connectedComponents(cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1))))[0]
    along_cols = cv2.connectedComponents(cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (1, k))))[0]
    return math.log(max(1, along_cols) / max(1, along_rows))


def _line_direction(score_h: float, score_v: float, gaps_h: float, gaps_v: float, smear: float = 0.0) -> float:
    """Evidence that text lines run along the rows (> 0) or the columns (< 0), as a log ratio.

    Three cues that fail in different places: the projection-profile peak (strong for Latin text, nearly
    even for Chinese set on a square grid), the blank gaps between lines (strong for Chinese with its
    leading, weak for old tightly set Latin pages at the reduced resolution) and the smear cue
    (``_smear_cue``; the one that settles Chinese pages with photos and rules).
    """
    postl = math.log((score_h + 1.0) / (score_v + 1.0))
    gaps = math.log((gaps_h + 5.0) / (gaps_v + 5.0))
    # Half weight for the gaps: on old pages column gutters count as gaps too (about +-0.7 of noise),
    # while Chinese with visible leading still gives them +-2 after halving.
    return postl + 0.5 * gaps + 1.5 * smear


def _step(name: str, *, model: str = "", **settings: object) -> ProcessingStep:
    return ProcessingStep(
        stage="preprocess", name=name, version=__version__, model=model, settings=dict(settings)
    )


def preprocess(
    image: np.ndarray,
    *,
    deskew: bool = True,
    orientation: bool = True,
    normalize: bool = True,
    max_skew: float = 5.0,
    threads: int | None = 2,
    source_channels: int | None = None,
    defer_flip: bool = False,
) -> Preprocessed:
    """Grayscale, normalise, turn upright and straighten a page image (gray, BGR or BGRA).

    ``source_channels``: the channels of the file the image was decoded from, when it was decoded
    straight to grayscale (recorded in the provenance). ``defer_flip``: on a page not quarter-turned, leave
    the upside-down test for ``Preprocessed.settle_flip`` with the lines read from the page, which settle it
    without the direction classifier when they read confidently (the pipeline does this with PP-OCR)."""
    t0 = time.perf_counter()
    steps: list[ProcessingStep] = []
    src_channels = source_channels or (1 if image.ndim == 2 else int(image.shape[2]))
    gray = to_gray(image)
    h, w = gray.shape
    steps.append(_step("grayscale", channels=src_channels, dtype=str(image.dtype)))
    if normalize:
        gray = normalize_contrast(gray)
        steps.append(_step("normalize", method="background division + stretch"))

    transform = Transform.identity(w, h)
    quarter = 0
    skew = 0.0
    warped = False
    # Everything measured for orientation and skew is measured on one reduced copy of the page.
    small, scale = reduce_page(gray) if deskew or orientation else (gray, 1.0)
    if deskew or orientation:
        # The smear cue is OpenCV's work on the reduced page, done beside the searches below, which hold the
        # interpreter (15.8 -> 10.2 ms a page for the two together).
        smear = BESIDE.get().submit(_smear_cue, small) if orientation else None
        pts = points_of(text_ink(ink_threshold(small)), scale)
        angle, score_h, conf = search_angle(pts, max_skew)
        if orientation:
            # The page seen turned: the coarse grid is enough to compare the two ways.
            t_pts = pts.transposed()
            t_angle, score_v, _ = search_angle(t_pts, max_skew, fine=False)
            gaps_h = gap_score(pts, angle)
            gaps_v = gap_score(t_pts, t_angle)
            evidence = _line_direction(score_h, score_v, gaps_h, gaps_v, smear.result() if smear else 0.0)
            if evidence < -_QUARTER_TURN_EVIDENCE:
                # Text runs vertically: turn clockwise now; the classifier below decides 90 vs 270.
                quarter = 90
                # OpenCV's turn: np.rot90's pixels, in a third of the time (4 ms a page with the copy).
                gray = cv2.rotate(gray, cv2.ROTATE_90_CLOCKWISE)
                small = cv2.rotate(small, cv2.ROTATE_90_CLOCKWISE)
                transform = transform.then(quarter_turn_matrix(w, h, 90), (h, w))
                h, w = gray.shape
                # The transposed points are the turned page mirrored: its skew with the sign changed.
                t_angle, _, conf = search_angle(t_pts, max_skew)
                angle = -t_angle
            steps.append(
                _step(
                    "orientation",
                    method="profile peak + line gaps",
                    horizontal_evidence=round(evidence, 2),
                    quarter_turn=quarter,
                )
            )
        if deskew:
            applied = conf >= _MIN_SKEW_CONFIDENCE and abs(angle) >= _MIN_SKEW
            if applied:
                skew = angle
                m = rotation_matrix(w, h, -angle)
                gray = warp(gray, m)
                transform = transform.then(m, (w, h))
                warped = True
            if conf >= _MIN_SKEW_CONFIDENCE and abs(angle) > max_skew - 0.3:
                log.warning(
                    "skew %.2f is at the search limit of %.1f degrees; raise max_skew", angle, max_skew
                )
            steps.append(
                _step(
                    "deskew",
                    method="projection profile",
                    max_skew=max_skew,
                    measured=round(angle, 3),
                    confidence=round(conf, 2),
                    applied=applied,
                )
            )

    rotation = quarter
    pending = None
    if orientation:
        # The classifier's crops come from the page reduced again once warped, not from the reduced copy
        # warped: line crops found on a warped small copy drew up to a quarter fewer confident votes on
        # archive pages. A deferred vote makes that copy only if it is taken (_PendingFlip.small None).
        if defer_flip and quarter == 0:
            # A quarter-turned page is voted on now: the classifier settles 90 against 270 degrees.
            pending = _PendingFlip(None if warped else small, threads or 2)
        else:
            vote_small = reduce_page(gray)[0] if warped else small
            gray, transform, rotation = _vote_upside_down(gray, vote_small, transform, rotation, threads or 2, steps)
    log.debug("preprocess: rotation %d, skew %.2f in %.3fs", rotation, skew, time.perf_counter() - t0)
    return Preprocessed(image=gray, rotation=rotation, skew=float(skew), steps=steps, transform=transform,
                        flip_pending=pending)
