"""Draw a page's layout for a person to check by eye: blocks coloured by kind, article outlines and
numbers, the reading order as numbered arrows, rules and photos."""

from __future__ import annotations

import colorsys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocr_pipeline.model import Page

KIND_COLOURS: dict[str, tuple[int, int, int]] = {
    "masthead": (128, 0, 128),
    "folio": (120, 120, 120),
    "headline": (220, 30, 30),
    "subhead": (240, 130, 0),
    "byline": (0, 150, 150),
    "body": (30, 90, 220),
    "caption": (0, 160, 60),
    "photo": (90, 180, 40),
    "jump": (230, 0, 180),
    "advertisement": (150, 100, 50),
    "other": (60, 60, 60),
    "text": (30, 90, 220),
}
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def _article_colour(i: int) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb((i * 0.61803) % 1.0, 0.85, 0.9)
    return int(r * 255), int(g * 255), int(b * 255)


def render_layout(page: Page, image: np.ndarray | None, max_width: int = 1600) -> Image.Image:
    """The page (or a blank sheet when no image) with its layout drawn over it, scaled to max_width."""
    w, h = max(1, page.width), max(1, page.height)
    if image is not None:
        base = Image.fromarray(image).convert("RGB")
    else:
        base = Image.new("RGB", (w, h), "white")
    scale = min(1.0, max_width / base.width)
    base = base.resize((max(1, round(base.width * scale)), max(1, round(base.height * scale))))
    sx = base.width / w
    over = Image.new("RGBA", base.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(over)
    small: ImageFont.FreeTypeFont | ImageFont.ImageFont
    try:
        small = ImageFont.truetype(FONT, max(10, int(14 * scale / 0.5)))
    except OSError:
        small = ImageFont.load_default()

    def box(b: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        return (b[0] * sx, b[1] * sx, b[2] * sx, b[3] * sx)

    for s in page.separators:
        col = (255, 0, 0, 200) if s.kind in ("hrule", "vrule") else (90, 180, 40, 60)
        d.rectangle(box(s.bbox), outline=col[:3] + (255,), fill=col if s.kind == "graphic" else None, width=2)
    article_ids = sorted({b.article_id for b in page.blocks if b.article_id})
    acol = {a: _article_colour(i) for i, a in enumerate(article_ids)}
    for b in page.blocks:
        c = KIND_COLOURS.get(b.kind, (60, 60, 60))
        d.rectangle(box(b.bbox), outline=c + (255,), fill=c + (40,), width=3)
        x0, y0, _, _ = box(b.bbox)
        d.text((x0 + 3, y0 + 2), b.kind, fill=c + (255,), font=small)
    # Article outlines: the union of their blocks, drawn a little outside.
    for a, c in acol.items():
        bs = [b.bbox for b in page.blocks if b.article_id == a]
        x0, y0 = min(b[0] for b in bs), min(b[1] for b in bs)
        x1, y1 = max(b[2] for b in bs), max(b[3] for b in bs)
        x0, y0, x1, y1 = box((x0, y0, x1, y1))
        d.rectangle((x0 - 6, y0 - 6, x1 + 6, y1 + 6), outline=c + (255,), width=4)
        d.text((x1 - 6 - d.textlength(a, font=small), y0 - 6), a, fill=c + (255,), font=small)
    # Reading order: numbered dots joined by a line.
    bm = page.block_map()
    centres = []
    for i, bid in enumerate(page.reading_order, 1):
        ob = bm.get(bid)
        if ob is None:
            continue
        x0, y0, x1, y1 = box(ob.bbox)
        cx, cy = (x0 + x1) / 2, min(y0 + 28 * scale / 0.5, (y0 + y1) / 2)
        centres.append((cx, cy, i))
    for (ax, ay, _), (bx, by, _) in zip(centres, centres[1:], strict=False):
        d.line((ax, ay, bx, by), fill=(0, 0, 0, 150), width=2)
    r = max(9, int(14 * scale / 0.5))
    for cx, cy, i in centres:
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(0, 0, 0, 220))
        t = str(i)
        d.text((cx - d.textlength(t, font=small) / 2, cy - r * 0.75), t, fill=(255, 255, 255, 255), font=small)
    legend_y = 4
    for kind in sorted({b.kind for b in page.blocks}):
        c = KIND_COLOURS.get(kind, (60, 60, 60))
        d.rectangle((4, legend_y, 22, legend_y + 16), fill=c + (255,))
        d.text((26, legend_y), kind, fill=(0, 0, 0, 255), font=small)
        legend_y += 20
    return Image.alpha_composite(base.convert("RGBA"), over).convert("RGB")
