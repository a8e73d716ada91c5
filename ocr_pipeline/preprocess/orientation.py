"""Page orientation: quarter turns from the direction of the text lines, upside down from a classifier.

- 0 vs 90 degrees: which way the blank gaps between text lines run (``deskew.gap_score``), measured after
  straightening each hypothesis with its own best skew angle.
- 0 vs 180 degrees: the PP-OCR text direction classifier (``ch_ppocr_mobile_v2.0_cls_infer.onnx``, shipped in
  the rapidocr-onnxruntime wheel; trained on Chinese and Latin text lines) votes on a few dozen line crops
  found by morphology. One session is created lazily and cached per thread count. The pipeline asks for the
  vote only where the lines PP-OCR read from the page do not settle it (``Preprocessed.settle_flip``).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ocr_pipeline.errors import MissingDependencyError
from ocr_pipeline.preprocess.deskew import ink_threshold

log = logging.getLogger(__name__)

CLS_MODEL_NAME = "ch_ppocr_mobile_v2.0_cls_infer.onnx"
# The first round of the upside-down vote takes every third crop (14 of 40), spread over the whole page.
_FIRST_ROUND_STEP = 3
_CLS_H, _CLS_W = 48, 192
_SESSIONS: dict[int, Any] = {}
_SESSION_LOCK = threading.Lock()


def cls_model_path() -> Path:
    try:
        import rapidocr_onnxruntime
    except ImportError as exc:  # pragma: no cover - a hard dependency in pyproject
        raise MissingDependencyError(
            "the text direction classifier ships in rapidocr-onnxruntime: pip install 'rapidocr-onnxruntime>=1.4,<1.5'"
        ) from exc
    path = Path(rapidocr_onnxruntime.__file__).resolve().parent / "models" / CLS_MODEL_NAME
    if not path.is_file():
        raise MissingDependencyError(
            f"{CLS_MODEL_NAME} not found in the rapidocr-onnxruntime wheel at {path}"
        )
    return path


def cls_session(threads: int = 2) -> Any:
    """The ONNX Runtime session of the direction classifier, created once per thread count."""
    with _SESSION_LOCK:
        sess = _SESSIONS.get(threads)
        if sess is None:
            try:
                import onnxruntime as ort
            except ImportError as exc:  # pragma: no cover - a hard dependency in pyproject
                raise MissingDependencyError("onnxruntime is needed: pip install onnxruntime") from exc
            from ocr_pipeline.engines.onnxopt import session_model

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 3
            # Its hard-swish activations written as two nodes instead of four (``engines.onnxopt``).
            model, _ = session_model(cls_model_path())
            sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
            _SESSIONS[threads] = sess
        return sess


@dataclass(slots=True)
class FlipVote:
    """Outcome of the upside-down test."""

    flipped: bool
    crops: int = 0
    votes_180: int = 0
    votes_0: int = 0
    mean_p180: float = 0.0
    probabilities: list[float] = field(default_factory=list)


def _cls_input(crop: np.ndarray) -> np.ndarray:
    """PaddleOCR's classifier preprocessing: height 48, width up to 192, (x/255-0.5)/0.5, zero pad."""
    h, w = crop.shape[:2]
    rw = min(_CLS_W, max(1, int(np.ceil(_CLS_H * w / h))))
    resized = cv2.resize(crop, (rw, _CLS_H), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    resized = (resized / 255.0 - 0.5) / 0.5
    out = np.zeros((3, _CLS_H, _CLS_W), dtype=np.float32)
    out[:, :, :rw] = resized[None, :, :]
    return out


def line_crops(gray: np.ndarray, *, limit: int = 40, small: np.ndarray | None = None) -> list[np.ndarray]:
    """Crops of text-line pieces (about 4:1, the classifier's own aspect) spread over the page.

    ``small``: the page already reduced to 1,100 px on its long side with ``INTER_AREA``, when the caller
    has it."""
    h, w = gray.shape
    scale = min(1.0, 1100 / max(h, w))
    if small is None:
        small = cv2.resize(
            gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
        )
    binary = ink_threshold(small) * np.uint8(255)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if n <= 1:
        return []
    hs = stats[1:, cv2.CC_STAT_HEIGHT]
    small_parts = hs[(hs >= 3) & (hs <= small.shape[0] // 20)]
    if small_parts.size == 0:
        return []
    # Characters (or their parts) are about this tall; joining neighbours closer than that makes lines,
    # while the wider gutters and the leading between lines keep lines apart.
    ch = float(np.median(small_parts))
    k = max(3, round(ch * 0.8))
    joined = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    boxes = []
    for x, y, bw, bh, area in stats[1:]:
        if bh < 4 or bh > 4 * ch or bw < 2.5 * bh or area < 0.3 * bw * bh:
            continue
        boxes.append((x, y, bw, bh))
    if not boxes:
        return []
    heights = np.array([b[3] for b in boxes], dtype=np.float32)
    med_h = float(np.median(heights))
    # Body-text lines only: headlines are few and giant, and bits of rules or photos are thin.
    boxes = [b for b in boxes if 0.6 * med_h <= b[3] <= 1.6 * med_h]
    pieces: list[tuple[int, int, int, int]] = []
    inv = 1.0 / scale
    for x, y, bw, bh in boxes:
        pad_y = 0.2 * bh
        x0, x1 = x * inv, (x + bw) * inv
        y0, y1 = max(0.0, (y - pad_y) * inv), min(float(h), (y + bh + pad_y) * inv)
        ph = y1 - y0
        step = 4 * ph
        nchunks = max(1, int((x1 - x0) // step))
        for i in range(nchunks):
            cx0 = x0 + i * step
            cx1 = min(x1, cx0 + step) if i < nchunks - 1 else x1
            pieces.append(
                (round(max(0, cx0 - 0.1 * ph)), round(y0), round(min(w, cx1 + 0.1 * ph)), round(y1))
            )
    if len(pieces) > limit:
        # Evenly spaced in reading position, so the vote covers the whole page, not one column.
        pick = np.linspace(0, len(pieces) - 1, limit).round().astype(int)
        pieces = [pieces[i] for i in pick]
    return [gray[y0:y1, x0:x1] for x0, y0, x1, y1 in pieces if y1 - y0 >= 6 and x1 - x0 >= 12]


def classify_crops(crops: list[np.ndarray], *, threads: int = 2) -> list[float]:
    """Probability that each crop is upside down."""
    if not crops:
        return []
    sess = cls_session(threads)
    name = sess.get_inputs()[0].name
    batch = np.stack([_cls_input(c) for c in crops])
    out = sess.run(None, {name: batch})[0]
    return [float(p[1]) for p in out]


def detect_upside_down(
    gray: np.ndarray,
    *,
    threads: int = 2,
    limit: int = 40,
    min_votes: int = 3,
    majority: float = 0.7,
    small: np.ndarray | None = None,
) -> FlipVote:
    """Vote of the direction classifier on line crops of an (already straightened) page.

    Flips only on a clear majority of confident votes: turning an upright page over costs every line,
    while leaving a rare upside-down page for review costs little.

    The crops are classified in two rounds: first every ``_FIRST_ROUND_STEP``-th crop; when at least half of
    those say the same way and none the other, the remaining crops could not turn the vote (they would
    all have to disagree), so the page is settled and the rest is not classified.
    """
    crops = line_crops(gray, limit=limit, small=small)
    first = crops[::_FIRST_ROUND_STEP]
    probs = classify_crops(first, threads=threads)
    up = sum(p <= 0.1 for p in probs)
    down = sum(p >= 0.9 for p in probs)
    settled = len(first) >= 8 and ((up >= len(first) / 2 and down == 0) or (down >= len(first) / 2 and up == 0))
    if not settled:
        rest = [c for i, c in enumerate(crops) if i % _FIRST_ROUND_STEP]
        probs += classify_crops(rest, threads=threads)
    votes_180 = sum(p >= 0.9 for p in probs)
    votes_0 = sum(p <= 0.1 for p in probs)
    mean = float(np.mean(probs)) if probs else 0.0
    decided = votes_180 + votes_0
    flipped = decided >= min_votes and votes_180 >= majority * decided and mean > 0.5
    log.debug(
        "upside-down vote: %d crops, %d say 180, %d say 0, mean p180 %.2f",
        len(probs),
        votes_180,
        votes_0,
        mean,
    )
    return FlipVote(flipped, len(probs), votes_180, votes_0, mean, probs)
