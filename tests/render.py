"""Render simple multi-column test pages with known geometry (text written for these tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
CJK_BOLD = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"
LATIN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
LATIN_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"

ZH_TEXT = (
    "河湾新区的社区食堂开业三个月来每天接待老人和上班族近千人次厨房采用明档设计菜价公示在门口"
    "街道负责人表示下一步将把配送服务延伸到行动不便的独居老人家中并联合附近菜市场稳定供应"
    "不少居民说以前中午只能凑合一顿现在走几步路就能吃上热乎的饭菜还能和邻居聊聊天"
)
EN_WORDS = (
    "the river district opened a community kitchen three months ago and now serves nearly a thousand "
    "meals a day to older residents and office workers prices are posted at the door and the kitchen "
    "is open to view officials said deliveries will soon reach people who live alone"
).split()


@dataclass
class RenderedPage:
    image: np.ndarray
    columns: list[tuple[int, int]]  # x ranges of the body columns
    gutters: list[tuple[int, int]]
    headline_box: tuple[int, int, int, int]
    body_top: int
    column_lines: list[list[str]] = field(default_factory=list)


def render_columns_page(
    lang: str = "zh",
    ncols: int = 5,
    gutter: int = 32,
    rule_after: tuple[int, ...] = (2,),
    width: int = 2400,
    height: int = 2000,
    size: int = 30,
    headline: str | None = None,
) -> RenderedPage:
    img = Image.new("L", (width, height), 255)
    d = ImageDraw.Draw(img)
    if lang == "zh":
        body = ImageFont.truetype(CJK_FONT, size, index=2)
        head = ImageFont.truetype(CJK_BOLD, size * 2, index=2)
        headline = headline or "社区食堂开业百日 老人吃饭不再发愁"
    else:
        body = ImageFont.truetype(LATIN_FONT, size)
        head = ImageFont.truetype(LATIN_BOLD, size * 2)
        headline = headline or "Community Kitchen Feeds a Neighbourhood"
    margin = 100
    hb = d.textbbox((margin, 60), headline, font=head)
    d.text((margin, 60), headline, font=head, fill=0)
    top = hb[3] + size * 2
    d.line((margin, top - size, width - margin, top - size), fill=0, width=3)
    colw = (width - 2 * margin - gutter * (ncols - 1)) // ncols
    columns, gutters, all_lines = [], [], []
    k = 0
    for c in range(ncols):
        x = margin + c * (colw + gutter)
        columns.append((x, x + colw))
        if c < ncols - 1:
            gutters.append((x + colw, x + colw + gutter))
        if c in rule_after and c < ncols - 1:
            gx = x + colw + gutter // 2
            d.line((gx, top, gx, height - margin), fill=0, width=2)
        lines = []
        y = top
        while y + size * 1.5 < height - margin:
            if lang == "zh":
                n = colw // size
                s = "".join(ZH_TEXT[(k + i) % len(ZH_TEXT)] for i in range(n))
                k += n
            else:
                words: list[str] = []
                while True:
                    w = EN_WORDS[k % len(EN_WORDS)]
                    if d.textlength(" ".join([*words, w]), font=body) > colw:
                        break
                    words.append(w)
                    k += 1
                s = " ".join(words)
            d.text((x, y), s, font=body, fill=0)
            lines.append(s)
            y += int(size * 1.45)
        all_lines.append(lines)
    return RenderedPage(np.array(img), columns, gutters, (hb[0], hb[1], hb[2], hb[3]), top, all_lines)


def save(page: RenderedPage, path: Path) -> Path:
    Image.fromarray(page.image).save(path)
    return path
