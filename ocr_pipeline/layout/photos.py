"""Photos and graphics: large areas of tone or ink that hold no text lines."""

from __future__ import annotations

import cv2
import numpy as np

from ocr_pipeline.model import BBox

ANALYSIS_WIDTH = 800


def find_photos(gray: np.ndarray, text_boxes: list[BBox], body_height: float) -> list[BBox]:
    """Boxes of photos/graphics (page pixels). Text lines are masked out first, so a dense column of text
    is never taken for a picture; what remains must be big (several lines tall and wide) and mostly filled."""
    if gray.ndim == 3:
        gray = cv2.cvtColor(gray, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    scale = min(1.0, ANALYSIS_WIDTH / w)
    small = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    tone = (small < 215).astype(np.uint8) * 255
    pad = body_height * 0.3
    for x0, y0, x1, y1 in text_boxes:
        tone[int(max(0, (y0 - pad) * scale)) : int((y1 + pad) * scale) + 1,
             int(max(0, (x0 - pad) * scale)) : int((x1 + pad) * scale) + 1] = 0
    k = max(3, int(body_height * scale * 0.8)) | 1
    closed = cv2.morphologyEx(tone, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    min_side = body_height * 3 * scale
    out: list[BBox] = []
    for i in range(1, n):
        x, y, bw, bh, _area = stats[i]
        if bw < min_side or bh < min_side:
            continue
        fill = float(tone[y : y + bh, x : x + bw].mean()) / 255.0
        if fill < 0.25:  # rules and frames are thin: little of their box is tone
            continue
        inv = 1.0 / scale
        out.append((x * inv, y * inv, (x + bw) * inv, (y + bh) * inv))
    return out
