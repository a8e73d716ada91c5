"""Grayscale conversion, illumination/contrast normalisation and binarisation.

Normalisation divides the page by an estimate of its paper brightness, so that light falling off across a
scan, a newsprint tint or a grey background become white, and then stretches the ink to black. The output
stays grayscale: the OCR models are trained on grayscale and anti-aliased strokes carry information.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

from ocr_pipeline.errors import BadInputError

log = logging.getLogger(__name__)

# Tiles darker than the smooth paper surface by more than this fraction are content (photos, heavy
# headlines, rules), not paper; they take the smooth surface's value so a photo keeps its grey.
_CONTENT_TOLERANCE = 0.12


def to_gray(image: np.ndarray) -> np.ndarray:
    """8-bit single-channel copy of a gray, BGR or BGRA image (alpha composited over white)."""
    if not isinstance(image, np.ndarray) or image.size == 0:
        raise BadInputError("empty or missing page image")
    img = image
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.dtype == bool:
        img = img.astype(np.uint8) * 255
    elif img.dtype == np.uint16:
        img = (img.astype(np.uint32) // 257).astype(np.uint8)
    elif img.dtype.kind == "f":
        scale = 255.0 if float(np.nanmax(img)) <= 1.0 else 1.0
        img = np.clip(np.nan_to_num(img) * scale, 0, 255).round().astype(np.uint8)
    elif img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if img.ndim == 2:
        return np.ascontiguousarray(img)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise BadInputError(f"unsupported image shape {image.shape}: expected gray, BGR or BGRA")
    if img.shape[2] == 4:
        gray = cv2.cvtColor(np.ascontiguousarray(img[:, :, :3]), cv2.COLOR_BGR2GRAY).astype(np.float32)
        alpha = img[:, :, 3].astype(np.float32) / 255.0
        # Transparent pixels are paper, not ink.
        return (gray * alpha + 255.0 * (1.0 - alpha)).round().astype(np.uint8)
    return cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_BGR2GRAY)


def _max_pool(gray: np.ndarray, f: int) -> np.ndarray:
    if f <= 1:
        return gray
    # Max, not mean: one paper pixel in a block keeps the block bright inside dense text. A dilation
    # sampled every f pixels is a max pool, and much faster than a numpy reshape-max.
    dilated = cv2.dilate(gray, np.ones((f, f), np.uint8))
    return np.ascontiguousarray(dilated[f // 2 :: f, f // 2 :: f])


def _poly_terms(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    return np.stack(
        [np.ones_like(xs), xs, ys, xs * xs, xs * ys, ys * ys, xs**3, ys**3, xs * xs * ys, xs * ys * ys], 1
    )


def _tile_percentile(pooled: np.ndarray, t: int, ny: int, nx: int, q: float) -> np.ndarray:
    """``np.percentile(tile, q)`` (linear interpolation, float64) of each t x t tile of a uint8 image, the
    first ny x nx tiles: from one count of the values per tile instead of sorting each tile's copy."""
    n = t * t
    pos = q / 100.0 * (n - 1)
    k = int(np.floor(pos))
    g = pos - k
    view = pooled[: ny * t, : nx * t].reshape(ny, t, nx, t)
    offsets = (np.arange(ny * nx, dtype=np.int32) * 256).reshape(ny, 1, nx, 1)
    cum = np.cumsum(np.bincount((view + offsets).ravel(), minlength=ny * nx * 256).reshape(ny, nx, 256), axis=2)
    # The k-th smallest value is the number of values whose cumulative count is still <= k.
    lo = (cum <= k).sum(axis=2).astype(np.float64)
    hi = (cum <= min(k + 1, n - 1)).sum(axis=2).astype(np.float64)
    d = hi - lo
    # numpy's own interpolation, so the result is the same to the last bit.
    return hi - d * (1.0 - g) if g >= 0.5 else lo + d * g


def _median_above(hist: np.ndarray, mid: float) -> float:
    """``np.median`` of the sampled values above ``mid``, from their histogram; 255 when there are none."""
    first = int(np.floor(mid)) + 1
    counts = hist[first:].astype(np.int64)
    n = int(counts.sum())
    if n == 0:
        return 255.0
    cum = np.cumsum(counts)
    a = first + int(np.searchsorted(cum, (n - 1) // 2, side="right"))
    b = first + int(np.searchsorted(cum, n // 2, side="right"))
    return (a + b) / 2.0


def estimate_background(gray: np.ndarray, *, tile: int | None = None) -> np.ndarray:
    """Paper brightness at every pixel (uint8, same shape), content such as photos excluded."""
    h, w = gray.shape
    f = max(1, round(max(h, w) / 850))
    pooled = _max_pool(gray, f)
    ph, pw = pooled.shape
    t = tile or max(8, round(max(ph, pw) / 24))
    t = max(1, min(t, ph, pw))  # tiny images: one tile
    ny, nx = max(1, ph // t), max(1, pw // t)
    # A high percentile rather than the max: dust and noise make single pixels too bright.
    bright: np.ndarray = _tile_percentile(pooled, t, ny, nx, 90).astype(np.float32)
    if ny * nx >= 12:
        yy, xx = np.mgrid[0:ny, 0:nx].astype(np.float32)
        xs = (xx.ravel() + 0.5) / nx - 0.5
        ys = (yy.ravel() + 0.5) / ny - 0.5
        a = _poly_terms(xs, ys)
        b = bright.ravel()
        keep = np.ones(b.shape, dtype=bool)
        fit = np.full_like(b, float(np.median(b)))
        for _ in range(4):
            if keep.sum() < a.shape[1] * 2:
                break
            coef, *_ = np.linalg.lstsq(a[keep], b[keep], rcond=None)
            fit = a @ coef
            # Asymmetric: only tiles darker than the surface are content; paper is never brighter.
            new_keep = b >= fit * (1.0 - _CONTENT_TOLERANCE)
            if np.array_equal(new_keep, keep):
                break
            keep = new_keep
        fit = np.clip(fit, 1.0, 255.0)
        bright = np.where(keep, b, fit).reshape(ny, nx)
    bright = cv2.GaussianBlur(bright, (3, 3), 0) if min(ny, nx) >= 3 else bright
    bg = cv2.resize(bright, (w, h), interpolation=cv2.INTER_LINEAR)
    # Saturating conversion in one pass (np.clip + astype on a full-size float image took 40 ms a page).
    out = cv2.convertScaleAbs(bg)
    # Never 0 (the page is divided by it). The interpolation stays within the tiles' values (to a float's
    # rounding), so when none is below 1 nor is any pixel: only a page with black tiles pays the full pass.
    if float(bright.min()) < 1.0:
        np.maximum(out, 1, out=out)
    return out


def normalize_contrast(gray: np.ndarray) -> np.ndarray:
    """Flatten uneven light, remove tint or grey paper, and stretch the ink to black; stays grayscale."""
    gray = to_gray(gray)
    bg = estimate_background(gray)
    flat = cv2.divide(gray, bg, scale=255.0)
    sample = flat[:: max(1, flat.shape[0] // 600), :: max(1, flat.shape[1] // 600)]
    hist = np.bincount(sample.ravel(), minlength=256).astype(np.float64)
    cdf = np.cumsum(hist) / max(1.0, hist.sum())
    lo = float(np.searchsorted(cdf, 0.005))
    # Never stretch a nearly blank page's paper noise into fake ink.
    lo = min(lo, 150.0)
    mid = (lo + 255.0) / 2.0
    hi = _median_above(hist, mid)
    hi = max(hi, lo + 64.0)
    lut = (
        np.clip((np.arange(256, dtype=np.float32) - lo) * 255.0 / (hi - lo), 0, 255).round().astype(np.uint8)
    )
    log.debug("normalize: black point %.0f, white point %.0f", lo, hi)
    return cv2.LUT(flat, lut)


def binarize(
    gray: np.ndarray, *, window: int | None = None, k: float = 0.2, invert: bool = False
) -> np.ndarray:
    """Sauvola binarisation for the layout stage.

    Returns uint8: 0 for ink and 255 for paper (the page's own polarity), or the reverse with ``invert``
    (an ink mask for connected components). ``window`` defaults to about 1/50 of the shorter page side,
    a few text lines tall at newspaper resolutions.
    """
    gray = to_gray(gray)
    h, w = gray.shape
    if window is None:
        window = max(15, round(min(h, w) / 50))
    window |= 1
    g = gray.astype(np.float32)
    mean: np.ndarray = cv2.boxFilter(g, cv2.CV_32F, (window, window), borderType=cv2.BORDER_REFLECT)
    sq: np.ndarray = cv2.boxFilter(g * g, cv2.CV_32F, (window, window), borderType=cv2.BORDER_REFLECT)
    # thresh = mean * (1 + k * (std / 128 - 1)), step by step in one buffer: the same numbers, fewer copies.
    sq -= mean * mean
    t = np.sqrt(np.maximum(sq, 0.0, out=sq), out=sq)
    t /= 128.0
    t -= 1.0
    t *= k
    t += 1.0
    t *= mean
    ink = g <= t
    if invert:
        return ink.astype(np.uint8) * 255
    return np.where(ink, 0, 255).astype(np.uint8)
