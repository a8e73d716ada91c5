"""Lines -> text blocks, and the kind of each block (masthead, folio, headline, subhead, byline, body,
caption, photo, jump line, other), from geometry, typography and text cues."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ocr_pipeline.model import BBox, Block, Line, Page, bbox_union

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_FOLIO = re.compile(
    r"(第\s*[0-9一二三四五六七八九十百]+\s*版|[A-Z]\d{1,2}\s*版?|\bPage\s+[A-Z]?\d+|\bP\.\s*\d+|"
    r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|星期[一二三四五六日天]|"
    r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|"
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\s+\d{1,2},?\s+\d{4})",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^\s*(By|BY|by)\s+\S|^\s*(本报记者|记者|通讯员|特约记者|实习生|文[/／]|本报评论员)")
_CAPTION = re.compile(r"^\s*[■▲●◆□△▼]|(摄|供图|图片来源|资料图片)[)）]?\s*$|\b(Photo|Photograph)\b.*\b(by|for)\b|"
                      r"^\s*(Above|Left|Right|Below|Top|Bottom)\s*[:,]", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[。！？；…!?.;:：”’\"')）]$")


@dataclass(slots=True)
class PageStats:
    body_height: float
    body_weight: float
    width: int
    height: int


def text_height(line: Line) -> float:
    return float(line.bbox[3] - line.bbox[1])


def line_weights(lines: list[Line], ink: np.ndarray | None) -> dict[str, float]:
    """Share of ink inside each line box, over the box height: bold and heavy faces score higher."""
    if ink is None:
        return {}
    h, w = ink.shape[:2]
    out = {}
    for ln in lines:
        x0, y0, x1, y1 = (int(round(v)) for v in ln.bbox)
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if x1 <= x0 or y1 <= y0:
            continue
        crop = ink[y0:y1, x0:x1]
        cols = crop.any(axis=0)
        span = max(1, int(cols.sum()))
        out[ln.id] = float(crop.sum() / 255.0) / (span * (y1 - y0))
    return out


def page_stats(lines: list[Line], weights: dict[str, float], width: int, height: int) -> PageStats:
    if not lines:
        return PageStats(20.0, 0.0, width, height)
    hs = np.array([text_height(ln) for ln in lines])
    n = np.array([max(1, len(ln.text)) for ln in lines], dtype=float)
    order = np.argsort(hs)
    cum = np.cumsum(n[order])
    body_h = float(hs[order][np.searchsorted(cum, cum[-1] / 2)])
    body_lines = [ln for ln in lines if abs(text_height(ln) - body_h) <= body_h * 0.15]
    ws = [weights[ln.id] for ln in body_lines if ln.id in weights]
    return PageStats(body_h, float(np.median(ws)) if ws else 0.0, width, height)


def _inside(b: BBox, r: BBox, slack: float = 2.0) -> bool:
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    return r[0] - slack <= cx <= r[2] + slack and r[1] - slack <= cy <= r[3] + slack


def build_blocks(lines: list[Line], regions: list[BBox], stats: PageStats) -> list[list[Line]]:
    """Group lines into blocks: inside each region (in region order), split where the text size changes or
    a clearly larger vertical gap opens."""
    buckets: list[list[Line]] = [[] for _ in regions]
    rest: list[Line] = []
    for ln in lines:
        for i, r in enumerate(regions):
            if _inside(ln.bbox, r):
                buckets[i].append(ln)
                break
        else:
            rest.append(ln)
    if rest:
        buckets.append(rest)
    groups: list[list[Line]] = []
    bh = stats.body_height
    for bucket in buckets:
        bucket.sort(key=lambda ln: (round(ln.bbox[1] / max(1.0, bh * 0.5)), ln.bbox[0]))
        current: list[Line] = []
        for ln in bucket:
            if current:
                prev = current[-1]
                h0, h1 = text_height(prev), text_height(ln)
                gap = ln.bbox[1] - prev.bbox[3]
                size_change = max(h0, h1) / max(1.0, min(h0, h1)) > 1.25
                same_row = ln.bbox[1] < prev.bbox[3] - min(h0, h1) * 0.5
                if same_row and not size_change:
                    current.append(ln)
                    continue
                if size_change or gap > max(h0, h1) * 1.1:
                    groups.append(current)
                    current = []
            current.append(ln)
        if current:
            groups.append(current)
    return groups


def classify_block(
    lines: list[Line], bbox: BBox, stats: PageStats, weights: dict[str, float], page_number: int,
    near_photo_above: bool,
) -> str:
    text = "".join(ln.text for ln in lines).strip()
    h = float(np.median([text_height(ln) for ln in lines]))
    ratio = h / max(1.0, stats.body_height)
    w = [weights[ln.id] for ln in lines if ln.id in weights]
    heavy = bool(w) and stats.body_weight > 0 and float(np.mean(w)) > stats.body_weight * 1.25
    top_band = bbox[3] <= stats.height * 0.07
    bottom_band = bbox[1] >= stats.height * 0.94
    width_share = (bbox[2] - bbox[0]) / max(1, stats.width)
    if ratio >= 2.2 and bbox[3] <= stats.height * 0.16 and width_share >= 0.2 and page_number == 1:
        if bbox[1] <= stats.height * 0.05:
            return "masthead"
    if len(lines) <= 2 and (top_band or bottom_band) and ratio < 1.6 and (_FOLIO.search(text) or len(text) <= 40):
        return "folio"
    from ocr_pipeline.layout.jumps import is_jump_line

    if len(lines) <= 2 and is_jump_line(text):
        return "jump"
    if ratio >= 1.3:
        return "headline"
    if len(lines) <= 2 and _BYLINE.search(text) and len(text) <= 60:
        return "byline"
    if near_photo_above or (len(lines) <= 4 and _CAPTION.search(text)):
        return "caption"
    if len(lines) <= 2 and (heavy or ratio >= 1.12) and not _SENTENCE_END.search(text) and len(text) <= 40:
        return "subhead"
    return "body"


def make_block(idx: int, kind: str, lines: list[Line]) -> Block:
    return Block(id=f"b{idx:03d}", kind=kind, bbox=bbox_union(ln.bbox for ln in lines), line_ids=[ln.id for ln in lines])


def is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def blocks_of_page(page: Page) -> dict[str, list[Line]]:
    lm = page.line_map()
    return {b.id: [lm[i] for i in b.line_ids if i in lm] for b in page.blocks}
