"""Lines -> text blocks, and the kind of each block (masthead, folio, headline, subhead, byline, body,
caption, photo, jump line, other), from geometry, typography and text cues."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ocr_pipeline.model import BBox, Block, Line, bbox_union
from ocr_pipeline.text.chars import has_han_or_kana

_FOLIO = re.compile(
    r"(第\s*[0-9一二三四五六七八九十百]+\s*版|[A-Z]\d{1,2}\s*版?|\bPage\s+[A-Z]?\d+|\bP\.\s*\d+|"
    r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|星期[一二三四五六日天]|"
    r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|"
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\s+\d{1,2},?\s+\d{4})",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^\s*(By|BY)\s+[A-Z]|^\s*by\s+[A-Z]{2,}|^\s*(本报记者|记者|通讯员|特约记者|实习生|文[/／]|本报评论员)")
_CAPTION = re.compile(r"^\s*[■▲●◆□△▼]|(摄|供图|图片来源|资料图片)[)）]?\s*$|\b(Photo|Photograph)\b.*\b(by|for)\b|"
                      r"\((Photos?|Photograph|Image|Credit)\s*:[^)]*\)?\s*$|"
                      r"^\s*(Above|Left|Right|Below|Top|Bottom)\s*[:,]", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[。！？；…!?.;:：”’\"')）]$")


@dataclass(slots=True)
class PageStats:
    body_height: float
    body_weight: float
    width: int
    height: int
    # Bottom of the masthead area on a front page: the first wide rule near the top (0 when none).
    masthead_bottom: float = 0.0
    # Layout profile (name or path) whose jump-line grammar tells jump lines apart.
    profile: str = "generic"


def text_height(line: Line) -> float:
    return float(line.bbox[3] - line.bbox[1])


def line_weights(lines: list[Line], ink: np.ndarray | None) -> dict[str, float]:
    """Share of ink inside each line box, over the box height: bold and heavy faces score higher. ``ink``: the
    page's ink mask, 0 or 255 (``regions.binarize``)."""
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
        span = max(1, np.count_nonzero(crop.any(axis=0)))
        # The ink mask is 0 or 255: its pixels counted, not summed (the same number, a third of the time).
        out[ln.id] = float(np.count_nonzero(crop)) / (span * (y1 - y0))
    return out


def fit_line_boxes(lines: list[Line], ink: np.ndarray | None) -> None:
    """Trim each line box, top and bottom, to the ink of its text.

    The detector's boxes carry padding that varies from line to line (a quote mark, a speck or the
    neighbouring line's descenders make one box much taller), and text size is read from box height:
    an ordinary line of body text boxed 40% too tall reads as a subhead or a headline. The band of rows
    holding most of the ink in the box is the line's own text. Chinese and Japanese lines only: their
    characters fill the same square whatever the words, while the ink of a Latin line shrinks to the
    x-height where no letter rises or descends."""
    if ink is None:
        return
    h, w = ink.shape[:2]
    for ln in lines:
        if not is_cjk(ln.text):
            continue
        x0, y0, x1, y1 = (int(round(v)) for v in ln.bbox)
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if x1 - x0 < 2 or y1 - y0 < 4:
            continue
        rows = np.count_nonzero(ink[y0:y1, x0:x1], axis=1)
        if not rows.any():
            continue
        filled = rows >= max(1, 0.01 * (x1 - x0))
        # Runs of inked rows; the one holding most ink is the line (another is a neighbour's edge).
        best, best_ink, start = (0, 0), -1, None
        for i, f in enumerate([*filled.tolist(), False]):
            if f and start is None:
                start = i
            elif not f and start is not None:
                total = int(rows[start:i].sum())
                if total > best_ink:
                    best, best_ink = (start, i), total
                start = None
        a, b = best
        if b - a < 0.4 * (y1 - y0):  # nothing like a line of text: keep the detector's box
            continue
        ln.bbox = (ln.bbox[0], float(y0 + a), ln.bbox[2], float(y0 + b))


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


# How far outside a region a line's centre may lie and still count as in it.
_SLACK = 2.0


def _same_row(a: Line, b: Line) -> bool:
    """Two pieces of one printed line: they overlap vertically and are of one size, or the smaller lies
    within the height of the larger (a word without ascenders, like "to" or "one", boxes smaller)."""
    ha, hb = text_height(a), text_height(b)
    overlap = min(a.bbox[3], b.bbox[3]) - max(a.bbox[1], b.bbox[1])
    if overlap < 0.6 * min(ha, hb):
        return False
    ratio = max(ha, hb) / max(1.0, min(ha, hb))
    return ratio < 1.3 or (ratio < 1.8 and overlap >= 0.95 * min(ha, hb))


def _merge_pair(a: Line, b: Line) -> Line:
    """One line from two pieces of it that the detector split (a wide word space, a spaced-out title)."""
    left, right = (a, b) if a.bbox[0] <= b.bbox[0] else (b, a)
    lt, rt = left.text.rstrip(), right.text.lstrip()
    cjk = bool(lt) and bool(rt) and is_cjk(lt[-1]) and is_cjk(rt[0])
    text = lt + rt if cjk else f"{lt} {rt}"
    n1, n2 = max(1, len(lt)), max(1, len(rt))
    chars = left.chars + right.chars if left.chars is not None and right.chars is not None else None
    words = left.words + right.words if left.words is not None and right.words is not None else None
    return Line(
        id=left.id,
        bbox=(min(a.bbox[0], b.bbox[0]), min(a.bbox[1], b.bbox[1]), max(a.bbox[2], b.bbox[2]),
              max(a.bbox[3], b.bbox[3])),
        text=text,
        confidence=(left.confidence * n1 + right.confidence * n2) / (n1 + n2),
        chars=chars,
        words=words,
    )


def _rule_apart(a: Line, b: Line, vrules: list[BBox]) -> bool:
    """A vertical rule stands in the gap between two pieces on one row."""
    left, right = (a, b) if a.bbox[0] <= b.bbox[0] else (b, a)
    y0, y1 = min(a.bbox[1], b.bbox[1]), max(a.bbox[3], b.bbox[3])
    for r in vrules:
        cx = (r[0] + r[2]) / 2
        if left.bbox[2] - 2 <= cx <= right.bbox[0] + 2 and r[1] <= y1 and r[3] >= y0:
            return True
    return False


def merge_row_pieces(lines: list[Line], vrules: list[BBox] | None = None) -> list[Line]:
    """Join pieces of one printed line that sit side by side with a gap under about one text height,
    unless a vertical rule stands between them (headlines of two articles side by side)."""
    vrules = vrules or []
    out: list[Line] = []
    # Lines come top first, so a line ending above this one's top shares no row with it or any after it:
    # only the others are compared (in the order they came, so the first match is the same).
    open_: list[int] = []
    for ln in sorted(lines, key=lambda x: (x.bbox[1], x.bbox[0])):
        open_ = [i for i in open_ if out[i].bbox[3] >= ln.bbox[1]]
        for i in open_:
            prev = out[i]
            if _same_row(prev, ln) and not _rule_apart(prev, ln, vrules):
                gap = max(ln.bbox[0] - prev.bbox[2], prev.bbox[0] - ln.bbox[2])
                if gap <= 1.2 * max(text_height(prev), text_height(ln)):
                    out[i] = _merge_pair(prev, ln)
                    break
        else:
            open_.append(len(out))
            out.append(ln)
    return out


def _line_role(ln: Line, left: float, right: float, stats: PageStats, weights: dict[str, float],
               prev: Line | None = None, prev_role: str = "") -> str:
    """"jump", "subhead", "byline" for a line that must stand as a block of its own, else "".

    ``prev``: the line above in the same region, and the role it got."""
    from ocr_pipeline.layout.jumps import is_jump_line

    text = ln.text.strip()
    if not text:
        return ""
    if is_jump_line(text, stats.profile):
        return "jump"
    h = text_height(ln)
    if abs(h - stats.body_height) > stats.body_height * 0.35:
        return ""
    if _BYLINE.search(text) and len(text) <= 40:
        return "byline"
    if len(text) > 30:
        return ""
    w = weights.get(ln.id)
    heavy = w is not None and stats.body_weight > 0 and w > stats.body_weight * 1.3
    cjk = is_cjk(text)
    char_w = h if cjk else h * 0.5
    li, ri = ln.bbox[0] - left, right - ln.bbox[2]
    centred = li >= char_w * 0.8 and ri >= char_w * 0.8 and abs(li - ri) <= char_w * 1.2
    # (A Chinese heading may end on a closing quote, “接单”; a sentence ends on a stop, quoted or not.)
    # Old Latin-script papers end a centred heading on a full stop or a bracket ("Aus Versailles.",
    # "(Orig.-Korresp. vom 23 Dezbr.)"); the short last line of a paragraph is set flush, never centred.
    if (_STOP if cjk else _SENTENCE_END).search(text) and not (centred and not cjk and text[-1] in ".)"):
        return ""
    # Centring is the mark of a crosshead; weight alone is not (blur and noise thicken scanned strokes),
    # except for a short, left-set Latin crosshead, or a heavy Chinese line right after a paragraph's end
    # (a crosshead of two phrases fills a narrow column, so it cannot show its centring).
    if centred:
        return "subhead"
    if cjk and prev_role == "subhead" and prev is not None and not _SENTENCE_END.search(prev.text.strip()):
        # The second line of a crosshead broken in a narrow column: short and set apart like the first.
        # (It stops short on the right too: an indented line running to the edge opens a paragraph.)
        if (ln.bbox[2] - ln.bbox[0]) < 0.7 * (right - left) and li >= char_w * 0.5 and ri >= char_w * 0.5:
            return "subhead"
    short = (ln.bbox[2] - ln.bbox[0]) < 0.75 * (right - left)
    if heavy and short and not cjk:
        return "subhead"
    if not cjk and w is not None and stats.body_weight > 0 and w > stats.body_weight * 1.1:
        # Justified Latin text fills its column except on a paragraph's last line, which ends like a
        # sentence; a paragraph's first line is indented. A line a little heavier than the text, set
        # flush left, falling short without a final stop, after a paragraph's end, is a crosshead; so is
        # the line under such a one that finishes it.
        prev_text = prev.text.strip() if prev is not None else ""
        flush = li < char_w * 1.5
        shortish = (ln.bbox[2] - ln.bbox[0]) < 0.9 * (right - left)
        words = len(text.split())
        if shortish and flush and words <= 8 and (
                prev is None or bool(_SENTENCE_END.search(prev_text)) or right - prev.bbox[2] > 2 * char_w):
            return "subhead"
        if prev_role == "subhead" and shortish and words <= 6 and not _SENTENCE_END.search(prev_text):
            return "subhead"
    # Only between paragraphs: at the top of a region weight is no evidence (an opening line can be set
    # bold, a region can start with a headline's tail).
    after_paragraph = prev is not None and (
        bool(_SENTENCE_END.search(prev.text.strip())) or right - prev.bbox[2] > 2 * char_w)
    return "subhead" if heavy and cjk and after_paragraph and len(text) <= 16 else ""


_STOP = re.compile(r"[。！？；…!?.;:：][”’\"')）]*$")


def _ends_paragraph(ln: Line, right: float, stats: PageStats) -> bool:
    """A line that ends a paragraph: on a stop, or well short of the column's right edge."""
    return bool(_STOP.search(ln.text.strip())) or right - ln.bbox[2] > 2 * stats.body_height


def _opening_crosshead(ln: Line, nxt: Line, left: float, right: float, stats: PageStats,
                       weights: dict[str, float]) -> bool:
    """A Chinese line after a paragraph's end (or first in its region) is a crosshead when it is heavier
    than the text, short, ends without a stop, and the next line opens a paragraph (indented by about
    two characters). Weight alone is weak evidence on a scan; with the indent under it, it is enough."""
    text = ln.text.strip()
    w = weights.get(ln.id)
    # A heading may end on a closing quote (“接单”); a sentence ends on a stop, quoted or not.
    if not is_cjk(text) or w is None or stats.body_weight <= 0 or len(text) > 16 or _STOP.search(text):
        return False
    h = text_height(ln)
    if abs(h - stats.body_height) > 0.35 * stats.body_height or w <= stats.body_weight * 1.2:
        return False
    return nxt.bbox[0] - left >= 1.5 * h and text_height(nxt) <= 1.2 * stats.body_height


def build_blocks(
    lines: list[Line], regions: list[BBox], stats: PageStats, weights: dict[str, float] | None = None,
    *, merge_rows: bool = True, vrules: list[BBox] | None = None,
) -> list[tuple[list[Line], str]]:
    """Group lines into blocks, each with the role its lines showed ("folio", "jump", "subhead", "byline"
    or "" for running text).

    The folio rows at the top and bottom edge form one block per row, whatever gaps separate their
    parts. Elsewhere, inside each region (in region order), lines split by the detector are joined again,
    and a block ends where the text size changes, a clearly larger vertical gap opens, or a line stands on
    its own: a jump line, a subhead (heavier or centred), a byline.
    """
    weights = weights or {}
    top, bottom = stats.height * 0.045, stats.height * 0.955
    # A line at the foot that continues a column of text (right under its line above, at the line
    # spacing) is that column's last line, not part of a running foot.
    edge = [ln for ln in lines if ln.bbox[3] <= top or (ln.bbox[1] >= bottom and not any(
        o is not ln and 0 <= ln.bbox[1] - o.bbox[3] <= 0.8 * text_height(ln) and o.bbox[1] < bottom
        and min(o.bbox[2], ln.bbox[2]) - max(o.bbox[0], ln.bbox[0]) > 0.5 * (ln.bbox[2] - ln.bbox[0])
        for o in lines))]
    edge_ids = {ln.id for ln in edge}
    rows: list[list[Line]] = []
    for ln in sorted(edge, key=lambda x: (x.bbox[1], x.bbox[0])):
        for g in rows:
            if _same_row(g[0], ln):
                g.append(ln)
                break
        else:
            rows.append([ln])
    groups: list[tuple[list[Line], str]] = [(sorted(g, key=lambda x: x.bbox[0]), "folio") for g in rows]

    # Headline-size text spaced out wide (a masthead, a spaced title) can fall into several regions: its
    # pieces are joined across regions. Body text never is: a gutter can be as narrow as a word space.
    big = [ln for ln in lines if ln.id not in edge_ids and text_height(ln) >= 1.2 * stats.body_height]
    joined = merge_row_pieces(big, vrules) if merge_rows else big
    if len(joined) < len(big):
        keep = {ln.id for ln in joined}
        by_id = {ln.id: ln for ln in joined}
        lines = [by_id.get(ln.id, ln) for ln in lines if ln.id in keep or ln not in big]
    buckets: list[list[Line]] = [[] for _ in regions]
    rest: list[Line] = []
    # Each line goes to the first region holding its centre (within _SLACK), all lines and regions at once.
    placed = [ln for ln in lines if ln.id not in edge_ids]
    if placed and regions:
        b = np.array([ln.bbox for ln in placed], dtype=np.float64)
        r = np.array(regions, dtype=np.float64)
        cx, cy = ((b[:, 0] + b[:, 2]) / 2)[:, None], ((b[:, 1] + b[:, 3]) / 2)[:, None]
        hit = (r[:, 0] - _SLACK <= cx) & (cx <= r[:, 2] + _SLACK) & (r[:, 1] - _SLACK <= cy) & (cy <= r[:, 3] + _SLACK)
        first: list[int] = hit.argmax(axis=1).tolist()
        found_any: list[bool] = np.any(hit, axis=1).tolist()
        for ln, i, found in zip(placed, first, found_any, strict=True):
            (buckets[i] if found else rest).append(ln)
    else:
        rest = placed
    if rest:
        buckets.append(rest)
    for bucket in buckets:
        if not bucket:
            continue
        if merge_rows:
            bucket = merge_row_pieces(bucket, vrules)
        bucket.sort(key=lambda ln: (ln.bbox[1], ln.bbox[0]))
        left = min(ln.bbox[0] for ln in bucket)
        right = max(ln.bbox[2] for ln in bucket)
        current: list[Line] = []
        current_role = ""
        prev_line: Line | None = None
        for k, ln in enumerate(bucket):
            role = _line_role(ln, left, right, stats, weights, prev_line, current_role) if len(bucket) > 1 else ""
            if (not role and k + 1 < len(bucket) and (k == 0 or _ends_paragraph(bucket[k - 1], right, stats))
                    and _opening_crosshead(ln, bucket[k + 1], left, right, stats, weights)):
                role = "subhead"
            prev_line = ln
            if current:
                prev = current[-1]
                h0, h1 = text_height(prev), text_height(ln)
                gap = ln.bbox[1] - prev.bbox[3]
                size_change = max(h0, h1) / max(1.0, min(h0, h1)) > 1.25
                if size_change or gap > max(h0, h1) * 1.1 or role != current_role:
                    groups.append((current, current_role))
                    current = []
            current.append(ln)
            current_role = role
        if current:
            groups.append((current, current_role))
    return groups


def classify_block(
    lines: list[Line], bbox: BBox, stats: PageStats, weights: dict[str, float], page_number: int,
    near_photo_above: bool, role: str = "",
) -> str:
    text = "".join(ln.text for ln in lines).strip()
    if role == "folio":
        return role
    if page_number == 1 and stats.masthead_bottom > 0 and bbox[3] <= stats.masthead_bottom:
        return "masthead"
    if role in ("jump", "subhead", "byline"):
        return role
    h = float(np.median([text_height(ln) for ln in lines]))
    ratio = h / max(1.0, stats.body_height)
    w = [weights[ln.id] for ln in lines if ln.id in weights]
    heavy = bool(w) and stats.body_weight > 0 and float(np.mean(w)) > stats.body_weight * 1.25
    # The running head / foot sits at the very edge, in body size or smaller (a jump head or a photo
    # title just below it is type of its own).
    top_band = bbox[3] <= stats.height * 0.05
    bottom_band = bbox[1] >= stats.height * 0.95
    width_share = (bbox[2] - bbox[0]) / max(1, stats.width)
    if page_number == 1 and role != "folio":
        if stats.masthead_bottom > 0 and bbox[3] <= stats.masthead_bottom:
            return "masthead"
        if not stats.masthead_bottom and ratio >= 2.2 and bbox[3] <= stats.height * 0.16 and width_share >= 0.2:
            return "masthead"
    # A caption set right under a photo at the foot of the page is still a caption.
    if len(lines) <= 2 and (top_band or bottom_band) and ratio < 1.3 and (_FOLIO.search(text) or len(text) <= 40) \
            and not (near_photo_above and bottom_band and not _FOLIO.search(text)):
        return "folio"
    from ocr_pipeline.layout.jumps import is_jump_line

    if len(lines) <= 2 and is_jump_line(text, stats.profile):
        return "jump"
    if ratio >= 1.3:
        return "headline"
    if len(lines) <= 2 and _BYLINE.search(text) and len(text) <= 60:
        return "byline"
    if near_photo_above or (len(lines) <= 6 and _CAPTION.search(text)):
        return "caption"
    # A Latin line's box grows with its capitals, quotes and descenders: a little taller is no sign.
    taller = ratio >= (1.12 if is_cjk(text) else 1.25)
    if len(lines) <= 2 and (heavy or taller) and not _SENTENCE_END.search(text) and len(text) <= 40:
        return "subhead"
    return "body"


def make_block(idx: int, kind: str, lines: list[Line]) -> Block:
    return Block(id=f"b{idx:03d}", kind=kind, bbox=bbox_union(ln.bbox for ln in lines), line_ids=[ln.id for ln in lines])


def is_cjk(text: str) -> bool:
    """Text with Chinese or Japanese characters in it (joined without spaces, measured in ideographs)."""
    return has_han_or_kana(text)
