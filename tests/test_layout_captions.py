"""Caption lines under photos, line boxes and stepped articles: the cases where the scanned samples lost
text (a caption line cut into pieces at its word spaces, a body line boxed too tall read as a heading,
a column beside a headline given to the article on its left)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr_pipeline.layout.articles import group_articles
from ocr_pipeline.layout.blocks import fit_line_boxes
from ocr_pipeline.layout.regions import binarize, find_regions
from ocr_pipeline.model import Block, Line, Page, Separator
from tests.render import CJK_FONT, EN_WORDS, LATIN_FONT, ZH_TEXT

CAPTIONS = {
    "zh": ("3月2日，河湾新区社区食堂的厨师在明档后备餐，不少居民专程赶来。", "■本报记者 林一 摄"),
    "en": ("Cooks prepare lunch at the open counter on Monday, as",
           "neighbours queue. (Photo: Staff)"),
}


def _page_with_photo(lang: str) -> tuple[np.ndarray, tuple[int, int, int, int], list[tuple[int, int]]]:
    """Four columns of body text; over the first two, a photo with a two-line caption spanning both.
    Returns the image, the box of the caption's first line, and the gutters."""
    width, height, margin, gutter, size = 1800, 1400, 80, 36, 26
    img = Image.new("L", (width, height), 255)
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(CJK_FONT, size, index=2) if lang == "zh" else ImageFont.truetype(LATIN_FONT, size)
    small = ImageFont.truetype(CJK_FONT, size - 4, index=2) if lang == "zh" else ImageFont.truetype(LATIN_FONT, size - 4)
    colw = (width - 2 * margin - 3 * gutter) // 4
    cols = [(margin + i * (colw + gutter), margin + i * (colw + gutter) + colw) for i in range(4)]
    gutters = [(cols[i][1], cols[i + 1][0]) for i in range(3)]
    pitch = int(size * 1.6)

    def fill_column(x0: float, x1: float, y0: int, y1: int, offset: int) -> None:
        y, k = y0, offset
        while y + size <= y1:
            if lang == "zh":
                n = int((x1 - x0) // size)
                text = (ZH_TEXT * 3)[k : k + n]
                k += n
            else:
                words: list[str] = []
                while d.textlength(" ".join([*words, EN_WORDS[k % len(EN_WORDS)]]), font=font) <= x1 - x0:
                    words.append(EN_WORDS[k % len(EN_WORDS)])
                    k += 1
                text = " ".join(words)
            d.text((x0, y), text, font=font, fill=0)
            y += pitch

    # The photo: a textured grey picture over columns 1-2, with its caption under it.
    px0, px1, py0, py1 = cols[0][0], cols[1][1], 120, 700
    rng = np.random.default_rng(3)
    tone = rng.integers(60, 170, size=(py1 - py0, px1 - px0)).astype(np.uint8)
    img.paste(Image.fromarray(tone), (px0, py0))
    line1, line2 = CAPTIONS[lang]
    cy = py1 + 14
    d.text((px0, cy), line1, font=small, fill=0)
    first = d.textbbox((px0, cy), line1, font=small)
    assert first[2] < cols[1][1], "the caption fits under the photo"
    d.text((px0, cy + int(size * 1.3)), line2, font=small, fill=0)
    body_top = cy + int(size * 1.3) * 2 + 30
    for i, (x0, x1) in enumerate(cols):
        top = 120 if i >= 2 else body_top
        fill_column(x0, x1, top, height - 100, i * 40)
    return np.array(img), (int(first[0]), int(first[1]), int(first[2]), int(first[3])), gutters


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_caption_line_under_wide_photo_is_one_region(lang: str) -> None:
    image, cap, gutters = _page_with_photo(lang)
    found = find_regions(image)
    assert found.photos, "the photo is found"
    on_row = [r for r in found.regions if min(r[3], cap[3]) - max(r[1], cap[1]) > 0.5 * (cap[3] - cap[1])
              and r[0] < gutters[1][0]]
    # One region holds the whole first caption line, across the gutter under the photo ...
    assert len(on_row) == 1, on_row
    r = on_row[0]
    # (The box of the type is a little wider than its ink: a full stop's em box.)
    assert r[0] <= cap[0] + 6 and r[2] >= cap[2] - 12, (r, cap)
    # ... and it does not reach into the third column, whose text stands on the same rows.
    assert r[2] < gutters[1][1]
    # A one-line region has room above and below its ink (the detector needs it).
    assert r[1] <= cap[1] - 5 and r[3] >= cap[3] + 5
    # Body regions still never cross a gutter.
    for reg in found.regions:
        if reg[1] > cap[3] + 80:
            for g0, g1 in gutters:
                assert not (reg[0] < g0 and reg[2] > g1), (reg, (g0, g1))


def test_cjk_line_box_is_trimmed_to_its_ink() -> None:
    img = Image.new("L", (900, 200), 255)
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(CJK_FONT, 30, index=2)
    d.text((20, 40), ZH_TEXT[:20], font=font, fill=0)
    d.text((20, 84), ZH_TEXT[20:40], font=font, fill=0)
    ink = binarize(np.array(img))
    first = d.textbbox((20, 40), ZH_TEXT[:20], font=font)
    # The detector's box: padded, and reaching into the next line.
    line = Line(id="l1", bbox=(float(first[0]), float(first[1] - 12), float(first[2]), float(first[3] + 16)),
                text=ZH_TEXT[:20])
    latin = Line(id="l2", bbox=(20.0, 20.0, 400.0, 120.0), text="a Latin line keeps its box")
    fit_line_boxes([line, latin], ink)
    assert abs(line.bbox[1] - first[1]) <= 3 and abs(line.bbox[3] - first[3]) <= 3, (line.bbox, first)
    assert latin.bbox == (20.0, 20.0, 400.0, 120.0)


def _stepped_page(rule: bool) -> Page:
    """Article A: headline over columns 1-2, body in them. Article B: headline over columns 4-5 at the
    same height, body in columns 3-5; column 3 starts right beside B's headline. A vertical rule between
    columns 2 and 3 when ``rule``."""
    cols = [(100 + i * 300, 360 + i * 300) for i in range(5)]
    blocks = [
        Block(id="b001", kind="headline", bbox=(100, 100, 660, 170)),
        Block(id="b002", kind="headline", bbox=(1000, 100, 1560, 170)),
    ]
    for i, (x0, x1) in enumerate(cols):
        top = 240 if i == 2 else 200
        blocks.append(Block(id=f"b{i + 3:03d}", kind="body", bbox=(x0, top, x1, 900)))
    seps = [Separator(id="s001", kind="vrule", bbox=(678, 100, 682, 900))] if rule else []
    page = Page(number=2, source="p.png", width=1700, height=1000, blocks=blocks, separators=seps)
    page.columns = [(float(a), float(b)) for a, b in cols]
    return page


def test_column_ruled_off_goes_to_the_headline_beside_it() -> None:
    page = _stepped_page(rule=True)
    arts = group_articles(page, 30.0, [float(a) for a, _ in page.columns])
    owner = {b.id: i for i, a in enumerate(arts) for b in a.all_blocks}
    assert owner["b005"] == owner["b002"]  # column 3 reads with B
    assert owner["b003"] == owner["b004"] == owner["b001"]


def test_without_a_rule_the_column_continues_the_article_on_its_left() -> None:
    page = _stepped_page(rule=False)
    arts = group_articles(page, 30.0, [float(a) for a, _ in page.columns])
    owner = {b.id: i for i, a in enumerate(arts) for b in a.all_blocks}
    assert owner["b005"] == owner["b001"]
