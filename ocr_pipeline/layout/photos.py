"""Photos and graphics: large areas of solid tone that hold no text."""

from __future__ import annotations

import cv2
import numpy as np

from ocr_pipeline.model import BBox

ANALYSIS_WIDTH = 800


def reduce_for_photos(gray: np.ndarray) -> np.ndarray:
    """The page as ``find_photos`` analyses it (ANALYSIS_WIDTH wide at most, area averaging, gray)."""
    if gray.ndim == 3:
        gray = cv2.cvtColor(gray, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    scale = min(1.0, ANALYSIS_WIDTH / w)
    return cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def find_photos(gray: np.ndarray, body_height: float, small: np.ndarray | None = None) -> list[BBox]:
    """Boxes of photos/graphics in page pixels.

    Tone darker than paper is opened with a kernel wider than any text stroke, so text (even bold
    headlines) vanishes and only solid areas stay; what remains must be several lines tall and wide and
    mostly filled. Very light parts of a picture (a sky) can fall outside the box; the box still marks
    where the picture is, which is what layout needs.
    """
    h, w = gray.shape[:2]
    scale = min(1.0, ANALYSIS_WIDTH / w)
    if small is None:
        small = reduce_for_photos(gray)
    tone = (small < 200).astype(np.uint8) * 255
    k = max(3, int(body_height * scale * 0.6)) | 1
    opened = cv2.morphologyEx(tone, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    min_side = body_height * 3 * scale
    inv = 1.0 / scale
    out: list[BBox] = []
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if bw < min_side or bh < min_side or area < 0.5 * bw * bh:
            continue
        out.append((x * inv, y * inv, min(w, (x + bw) * inv), min(h, (y + bh) * inv)))
    return out
