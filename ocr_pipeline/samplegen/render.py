"""Drawing a composed page: the clean PNG (Pillow), the photos, and the born-digital PDF (reportlab)."""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ocr_pipeline.samplegen.canvas import PageArt
from ocr_pipeline.samplegen.fonts import FONT_FILES, font


def photo_image(w: int, h: int, seed: int) -> Image.Image:
    """A plausible grey-tone news photo: a skyline, hills or a crowd, softened like a halftone print."""
    rng = np.random.default_rng(seed)
    yy = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    base = (215 - 90 * yy + rng.normal(0, 2, (h, 1))).repeat(w, axis=1)
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "L")
    d = ImageDraw.Draw(img)
    style = seed % 3
    horizon = int(h * rng.uniform(0.45, 0.65))
    if style == 0:  # city skyline with lit windows, a river in front
        x = 0
        while x < w:
            bw = int(rng.uniform(0.06, 0.16) * w)
            top = int(horizon - rng.uniform(0.1, 0.45) * h)
            shade = int(rng.uniform(50, 130))
            d.rectangle((x, top, x + bw, horizon), fill=shade)
            for wy in range(top + 8, horizon - 8, 14):
                for wx in range(x + 6, x + bw - 6, 12):
                    if rng.random() < 0.55:
                        d.rectangle((wx, wy, wx + 5, wy + 7), fill=min(255, shade + 70))
            x += bw + int(rng.uniform(0, 0.02) * w)
        d.rectangle((0, horizon, w, h), fill=90)
        for yl in range(horizon + 6, h, 9):
            d.line((int(rng.uniform(0, w)), yl, int(rng.uniform(0, w)), yl), fill=140, width=2)
    elif style == 1:  # hills, sun and trees
        cx, cy, r = rng.uniform(0.2, 0.8) * w, rng.uniform(0.1, 0.3) * h, 0.07 * min(w, h) + 8
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=245)
        for layer, shade in enumerate((150, 110, 70)):
            ph, amp = rng.uniform(0, 6.28), rng.uniform(0.04, 0.1) * h
            ybase = horizon + layer * 0.12 * h
            pts = [(x, ybase - amp * np.sin(x / w * 6.28 * (1 + layer) + ph)) for x in range(0, w + 20, 20)]
            d.polygon([(0, h)] + pts + [(w, h)], fill=shade)
        for _ in range(int(rng.integers(4, 10))):
            tx, ty, ts = rng.uniform(0, w), rng.uniform(horizon, h * 0.95), rng.uniform(0.04, 0.1) * h
            d.polygon([(tx, ty - ts), (tx - ts * 0.4, ty), (tx + ts * 0.4, ty)], fill=40)
    else:  # people in front of a building
        d.rectangle((0, int(h * 0.15), w, horizon), fill=170)
        for bx in np.arange(0.05, 1.0, 0.12):
            d.rectangle((int(bx * w), int(h * 0.2), int(bx * w + 0.06 * w), horizon - 10), fill=120)
        d.rectangle((0, horizon, w, h), fill=185)
        for _ in range(int(rng.integers(6, 14))):
            px, py = rng.uniform(0, w), rng.uniform(horizon, h * 1.05)
            s = rng.uniform(0.05, 0.11) * h
            shade = int(rng.uniform(20, 90))
            d.ellipse((px - s * 0.35, py - s * 1.9, px + s * 0.35, py - s * 1.2), fill=shade + 40)
            d.rounded_rectangle((px - s * 0.6, py - s * 1.2, px + s * 0.6, py + s), radius=int(s * 0.3), fill=shade)
    img = img.filter(ImageFilter.GaussianBlur(1.2))
    grain = rng.normal(0, 6, (h, w))
    arr = np.clip(np.asarray(img, dtype=np.float32) + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(arr, "L")


def render_png(art: PageArt) -> Image.Image:
    img = Image.new("L", (art.width, art.height), 255)
    for p in art.photos:
        x0, y0, x1, y1 = p.bbox
        img.paste(photo_image(x1 - x0, y1 - y0, p.seed), (x0, y0))
    d = ImageDraw.Draw(img)
    for rx0, ry0, rx1, ry1 in art.rules:
        d.rectangle((round(rx0), round(ry0), max(round(rx0), round(rx1) - 1), max(round(ry0), round(ry1) - 1)),
                    fill=0)
    for r in art.runs:
        d.text((r.x, r.y), r.text, font=font(r.font, r.size), fill=0, anchor="ls")
    return img


# --- born-digital PDF ------------------------------------------------------------------------------

@lru_cache(maxsize=16)
def _cjk_ttf(key: str, chars: str) -> bytes:
    """reportlab embeds TrueType outlines only, and Noto CJK ships CFF: subset the collection member to
    the characters used and convert the cubic outlines to quadratic (same advances, so the same layout)."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    path, index = FONT_FILES[key]
    f = TTFont(path, fontNumber=index, lazy=False, recalcTimestamp=False)
    opts = subset.Options()
    opts.layout_features = []
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    sub = subset.Subsetter(opts)
    sub.populate(text=chars)
    sub.subset(f)
    order = f.getGlyphOrder()
    gs = f.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(gs)
        gs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    f["glyf"] = glyf
    f["loca"] = newTable("loca")
    del f["CFF "]
    for t in ("VORG", "GSUB", "GPOS", "GDEF", "BASE"):
        if t in f:
            del f[t]
    f["head"].glyphDataFormat = 0
    f["head"].indexToLocFormat = 0
    maxp = f["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements", "maxPoints",
                 "maxContours", "maxCompositePoints", "maxCompositeContours", "maxComponentDepth"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    post = f["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    f.sfntVersion = "\x00\x01\x00\x00"
    buf = io.BytesIO()
    f.save(buf)
    return buf.getvalue()


def _register(keys_chars: dict[str, str]) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for key, chars in keys_chars.items():
        name = "SG-" + key
        if key.startswith("zh"):
            name += "-" + hashlib.md5(chars.encode()).hexdigest()[:8]
            data = io.BytesIO(_cjk_ttf(key, chars))
            pdfmetrics.registerFont(TTFont(name, data))
        else:
            # A fresh font object per document: reportlab keeps subset state in it, and reusing it
            # across documents changes the bytes of later PDFs.
            pdfmetrics.registerFont(TTFont(name, FONT_FILES[key][0]))


def _font_names(keys_chars: dict[str, str]) -> dict[str, str]:
    return {k: "SG-" + k + ("-" + hashlib.md5(c.encode()).hexdigest()[:8] if k.startswith("zh") else "")
            for k, c in keys_chars.items()}


def render_pdf(arts: list[PageArt], dpi: int, title: str) -> bytes:
    from reportlab import rl_config
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rl_config.invariant = 1
    used: dict[str, set[str]] = {}
    for a in arts:
        for r in a.runs:
            used.setdefault(r.font, set()).update(r.text)
    keys_chars = {k: "".join(sorted(v)) for k, v in used.items()}
    _register(keys_chars)
    names = _font_names(keys_chars)
    s = 72.0 / dpi
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1, pageCompression=1)
    c.setTitle(title)
    c.setCreator("ocr-pipeline samplegen")
    for a in arts:
        H = a.height
        c.setPageSize((a.width * s, a.height * s))
        for p in a.photos:
            x0, y0, x1, y1 = p.bbox
            jb = io.BytesIO()
            photo_image(x1 - x0, y1 - y0, p.seed).save(jb, "JPEG", quality=60)
            jb.seek(0)
            c.drawImage(ImageReader(jb), x0 * s, (H - y1) * s, (x1 - x0) * s, (y1 - y0) * s)
        c.setFillGray(0)
        for rx0, ry0, rx1, ry1 in a.rules:
            c.rect(rx0 * s, (H - ry1) * s, (rx1 - rx0) * s, (ry1 - ry0) * s, stroke=0, fill=1)
        runs = a.runs
        for i, r in enumerate(runs):
            text = r.text
            nxt = runs[i + 1] if i + 1 < len(runs) else None
            if not r.font.startswith("zh") and nxt is not None and nxt.y == r.y and nxt.x > r.x:
                # Words of a justified line are placed one by one; a trailing space keeps the word
                # boundary in the text layer (pdfplumber and friends read it as a real space).
                text += " "
            c.setFont(names[r.font], r.size * s)
            c.drawString(r.x * s, (H - r.y) * s, text)
        c.showPage()
    c.save()
    return buf.getvalue()
