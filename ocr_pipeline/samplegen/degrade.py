"""Scanned variants: skew, blur, uneven light, newsprint tint, noise, JPEG artefacts; all from one seed."""

from __future__ import annotations

import io

import cv2
import numpy as np
from cv2.typing import MatLike
from PIL import Image


def scan_page(clean: Image.Image, seed: int, rotate_cw: int = 0) -> tuple[bytes, dict[str, float | int]]:
    """Return the JPEG bytes of a scanned-looking copy of ``clean`` and the settings used.

    ``skew_deg`` follows OpenCV: positive turns the page content counter-clockwise about the centre.
    ``rotation_cw`` is the quarter turn applied after that (the scan shows the page turned clockwise).
    """
    rng = np.random.default_rng(seed)
    # Typed as OpenCV's matrix type: cv2 returns that, and its stubs take no float-only arrays.
    a: MatLike = np.asarray(clean, dtype=np.float32) / 255.0
    h, w = a.shape
    sigma = float(rng.uniform(0.55, 0.95))
    a = cv2.GaussianBlur(a, (0, 0), sigma)
    skew = float(np.round(rng.uniform(-2.0, 2.0), 2))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), skew, 1.0)
    a = cv2.warpAffine(a, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(1.0,))
    # Uneven light: a soft vignette plus a gradient from one side, as under a book scanner's lamp.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h
    vign = float(rng.uniform(0.08, 0.16))
    grad = float(rng.uniform(-0.08, 0.08))
    light = 1.0 - vign * (((xx - cx) / w) ** 2 + ((yy - cy) / h) ** 2) * 2.0 + grad * (xx / w - 0.5)
    # Paper texture: low-frequency blotches; ink never quite black.
    blot = cv2.resize(rng.normal(0, 1, (h // 64 + 1, w // 64 + 1)).astype(np.float32), (w, h),
                      interpolation=cv2.INTER_CUBIC)
    ink = float(rng.uniform(0.08, 0.16))
    v = (ink + (1 - ink) * a) * light * (1.0 + 0.015 * blot)
    v += rng.normal(0, 0.014, (h, w)).astype(np.float32)
    # A few specks of dust.
    for _ in range(int(rng.integers(20, 60))):
        x, y, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(1, 4))
        cv2.circle(v, (x, y), r, (float(rng.uniform(0.2, 0.5)),), -1)
    paper = np.array([rng.uniform(0.90, 0.95), rng.uniform(0.87, 0.91), rng.uniform(0.76, 0.83)], np.float32)
    rgb = np.clip(v[:, :, None] * paper[None, None, :] * 255.0, 0, 255).astype(np.uint8)
    if rotate_cw:
        rgb = np.ascontiguousarray(np.rot90(rgb, k=-(rotate_cw // 90)))
    quality = int(rng.integers(50, 64))
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, "JPEG", quality=quality, optimize=True, dpi=(300, 300))
    return buf.getvalue(), {"skew_deg": skew, "rotation_cw": int(rotate_cw), "blur_sigma": round(sigma, 3),
                            "jpeg_quality": quality}


def scanned_pdf(jpegs: list[bytes], dpi: int = 300, embed_dpi: int = 150) -> bytes:
    """Image-only PDF of the scanned pages, stored at ``embed_dpi`` like a typical archive scan."""
    from reportlab import rl_config
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rl_config.invariant = 1
    out = io.BytesIO()
    c = canvas.Canvas(out, invariant=1)
    c.setCreator("ocr-pipeline samplegen")
    for data in jpegs:
        img = Image.open(io.BytesIO(data))
        w, h = img.size
        small = img.resize((round(w * embed_dpi / dpi), round(h * embed_dpi / dpi)), Image.Resampling.LANCZOS)
        jb = io.BytesIO()
        small.save(jb, "JPEG", quality=50, dpi=(embed_dpi, embed_dpi))
        jb.seek(0)
        pw, ph = w * 72.0 / dpi, h * 72.0 / dpi
        c.setPageSize((pw, ph))
        c.drawImage(ImageReader(jb), 0, 0, pw, ph)
        c.showPage()
    c.save()
    return out.getvalue()
