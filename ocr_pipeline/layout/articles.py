"""Reading order and articles on one page.

Newspaper rule of thumb, made explicit: a headline owns the column area below it, within its own width,
down to the next rule or headline; text in a column with no headline above it continues the article read
just before it (the column to its left), unless a rule closes it off. Photos take their captions.
Mastheads and folios never join an article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ocr_pipeline.model import BBox, Block, Page, Separator

CONTENT_KINDS = ("body", "subhead", "byline", "caption", "jump", "photo", "text", "other", "advertisement")


@dataclass(slots=True)
class PageArticle:
    """Blocks of one article on one page, in reading order."""

    headline: list[Block] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    kind: str = "news"

    @property
    def all_blocks(self) -> list[Block]:
        return [*self.headline, *self.blocks]

    @property
    def top(self) -> float:
        """Where a reader finds the article: its headline, else its first block."""
        return min(b.bbox[1] for b in (self.headline or self.all_blocks))

    @property
    def left(self) -> float:
        return min(b.bbox[0] for b in (self.headline or self.all_blocks))


def _xoverlap(a: BBox, b: BBox) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0]))


def _rule_between(upper: BBox, lower: BBox, rules: list[Separator], slack: float) -> bool:
    """A horizontal rule crossing the space between two boxes (over most of the lower box's width)."""
    top, bottom = upper[3] - slack, lower[1] + slack
    width = lower[2] - lower[0]
    for r in rules:
        if r.kind != "hrule":
            continue
        y = (r.bbox[1] + r.bbox[3]) / 2
        if top <= y <= bottom and _xoverlap(r.bbox, lower) >= 0.5 * width:
            return True
    return False


def _group_headlines(heads: list[Block], body_h: float) -> list[list[Block]]:
    """Stacked headline blocks (a two-line headline, a headline and its deck) form one headline."""
    heads = sorted(heads, key=lambda b: (b.bbox[1], b.bbox[0]))
    groups: list[list[Block]] = []
    for b in heads:
        for g in groups:
            last = g[-1]
            gap = b.bbox[1] - last.bbox[3]
            if -body_h <= gap <= max(body_h * 1.5, (last.bbox[3] - last.bbox[1]) * 0.8) and _xoverlap(
                b.bbox, last.bbox
            ) >= 0.3 * min(b.bbox[2] - b.bbox[0], last.bbox[2] - last.bbox[0]):
                g.append(b)
                break
        else:
            groups.append([b])
    return groups


def _column_key(b: Block, col_lefts: list[float], tol: float) -> int:
    cx = b.bbox[0]
    best = 0
    for i, left in enumerate(col_lefts):
        if cx >= left - tol:
            best = i
    return best


def column_lefts(blocks: list[Block], body_h: float) -> list[float]:
    """Left edges of the page's columns, clustered from the body blocks."""
    xs = sorted(b.bbox[0] for b in blocks if b.kind in ("body", "text"))
    lefts: list[float] = []
    for x in xs:
        if not lefts or x - lefts[-1] > body_h * 2:
            lefts.append(x)
    return lefts


def _demote_inline_headlines(blocks: list[Block], rules: list[Separator], body_h: float) -> None:
    """A one-line "headline" set inside a column of running text is not one. Right on top of body text of
    its column, hardly taller than it, it is that text's first line (its box came out tall); right under
    body text with no rule between, it is a crosshead (bold type can measure a little taller)."""
    from ocr_pipeline.model import bbox_union

    for b in list(blocks):
        if b.kind != "headline" or len(b.line_ids) > 1 or (b.bbox[3] - b.bbox[1]) > 1.5 * body_h:
            continue
        below = [o for o in blocks if o.kind == "body" and 0 <= o.bbox[1] - b.bbox[3] <= 0.6 * body_h
                 and _xoverlap(o.bbox, b.bbox) >= 0.8 * (b.bbox[2] - b.bbox[0])
                 and (o.bbox[2] - o.bbox[0]) >= 0.8 * (b.bbox[2] - b.bbox[0])]
        # Centred over that text, with white on both sides, it is a heading: a paragraph's first line
        # runs to the column's right edge.
        if below and not (b.bbox[0] - below[0].bbox[0] >= 0.8 * body_h and below[0].bbox[2] - b.bbox[2] >= 0.8 * body_h):
            o = below[0]
            o.line_ids = b.line_ids + o.line_ids
            o.bbox = bbox_union([o.bbox, b.bbox])
            blocks.remove(b)
    body = [b for b in blocks if b.kind == "body"]
    for b in blocks:
        if b.kind != "headline" or len(b.line_ids) > 1 or (b.bbox[3] - b.bbox[1]) > 1.8 * body_h:
            continue
        # Hardly taller than body type (quotes and marks stretch a box), it may stand a little further
        # under the text above it and still be a crosshead.
        reach = 3 * body_h if (b.bbox[3] - b.bbox[1]) <= 1.5 * body_h else 2 * body_h
        for o in body:
            if (_xoverlap(o.bbox, b.bbox) >= 0.8 * (b.bbox[2] - b.bbox[0])
                    and 0 <= b.bbox[1] - o.bbox[3] <= reach
                    and (o.bbox[2] - o.bbox[0]) >= 0.8 * (b.bbox[2] - b.bbox[0])
                    and not _rule_between(o.bbox, b.bbox, rules, body_h * 0.3)):
                b.kind = "subhead"
                break


def _rule_in(vrules: list[BBox], xa: float, xb: float, ya: float, yb: float) -> bool:
    """A vertical rule between x ``xa`` and ``xb`` that reaches the rows ``ya``..``yb``."""
    return any(xa <= (r[0] + r[2]) / 2 <= xb and r[1] <= yb and r[3] >= ya for r in vrules)


_DATELINE = re.compile(r"^\s*本报[讯电]|^[A-Z][A-Z .'-]{2,40}\s+[—–-]")


def _headline_over_byline(page: Page, blocks: list[Block], rules: list[Separator], body_h: float) -> None:
    """A byline follows its headline: a short block of text right above a byline, not ending like a
    sentence and with no headline between, is that headline even when set hardly larger than body type
    (a small head in a side column)."""
    from ocr_pipeline.layout.blocks import _BYLINE, _SENTENCE_END, is_cjk

    lm = page.line_map()
    for by in (b for b in blocks if b.kind == "byline"):
        above = [o for o in blocks if o is not by and o.kind in ("body", "subhead", "headline")
                 and -0.3 * body_h <= by.bbox[1] - o.bbox[3] <= 1.5 * body_h
                 and _xoverlap(o.bbox, by.bbox) >= 0.5 * min(o.bbox[2] - o.bbox[0], by.bbox[2] - by.bbox[0])]
        if len(above) != 1 or above[0].kind != "body":
            continue
        o = above[0]
        text = "".join(lm[i].text for i in o.line_ids if i in lm).strip()
        heights = [lm[i].bbox[3] - lm[i].bbox[1] for i in o.line_ids if i in lm]
        # Ink-fitted Chinese lines measure text size truly; a Latin box's height varies with its letters.
        least = 1.08 if is_cjk(text) else 0.95
        top, _ = _band(o, rules, page.height)
        # It opens its column within its band: running text above it would make it a line of that.
        opens = not any(b is not o and b.kind in ("body", "byline", "subhead", "caption", "jump")
                        and top - 2 <= b.bbox[1] and b.bbox[3] <= o.bbox[1] + 2
                        and _xoverlap(b.bbox, o.bbox) > 0.5 * min(b.bbox[2] - b.bbox[0], o.bbox[2] - o.bbox[0])
                        for b in blocks)
        if (len(o.line_ids) <= 3 and text and not _SENTENCE_END.search(text) and len(text) <= 80
                and not _BYLINE.search(text) and not _DATELINE.search(text) and opens
                and heights and min(heights) >= least * body_h):
            o.kind = "headline"


def _drop_headline_fragments(blocks: list[Block]) -> None:
    """A small block lying inside a headline's box is a piece of it read twice (a stroke taken for a
    character of its own): it goes."""
    heads = [b for b in blocks if b.kind == "headline"]
    for b in list(blocks):
        if b.kind in ("headline", "photo") or len(b.line_ids) > 1:
            continue
        area = max(1.0, (b.bbox[2] - b.bbox[0]) * (b.bbox[3] - b.bbox[1]))
        for h in heads:
            w = _xoverlap(b.bbox, h.bbox)
            ht = max(0.0, min(b.bbox[3], h.bbox[3]) - max(b.bbox[1], h.bbox[1]))
            if w * ht >= 0.8 * area:
                blocks.remove(b)
                break


def _absorb_inner_heads(page: Page, blocks: list[Block], body_h: float) -> None:
    """A "headline" of a few letters inside the box of a body block is part of that text: an author's
    mark set apart at the end of a paragraph ("-ei-"), in type that measures tall. A longer one may be a
    true headline inside a box that spans two columns of running text. Its line goes where it stands
    among the block's lines."""
    lm = page.line_map()
    for h in [b for b in blocks if b.kind == "headline" and len(b.line_ids) == 1 and b.line_ids[0] in lm]:
        if h.bbox[3] - h.bbox[1] > 2 * body_h or len(lm[h.line_ids[0]].text.strip()) > 8:
            continue
        area = max(1.0, (h.bbox[2] - h.bbox[0]) * (h.bbox[3] - h.bbox[1]))
        for o in blocks:
            if o.kind != "body" or h.bbox[2] - h.bbox[0] > 0.5 * (o.bbox[2] - o.bbox[0]):
                continue
            inside = _xoverlap(h.bbox, o.bbox) * max(0.0, min(h.bbox[3], o.bbox[3]) - max(h.bbox[1], o.bbox[1]))
            if inside < 0.9 * area or any(i not in lm for i in o.line_ids):
                continue
            cy = (h.bbox[1] + h.bbox[3]) / 2
            at = sum(1 for i in o.line_ids if (lm[i].bbox[1] + lm[i].bbox[3]) / 2 <= cy)
            o.line_ids = [*o.line_ids[:at], *h.line_ids, *o.line_ids[at:]]
            blocks.remove(h)
            break


_CONTINUES = re.compile(r"^[a-zäöüßàâçéèêëîïôûùœæ][\w\-]*[.,;:]$")


def _demote_continuing_heads(page: Page, blocks: list[Block]) -> None:
    """A "headline" whose first line is a lowercase word alone (the end of a word hyphenated on the line
    above, "men.") is running text whose line boxes came out tall: no headline opens that way."""
    lm = page.line_map()
    for b in blocks:
        if b.kind != "headline" or not b.line_ids or b.line_ids[0] not in lm:
            continue
        first = lm[b.line_ids[0]].text.strip()
        if _CONTINUES.match(first):
            b.kind = "body"


def _absorb_headline_tails(blocks: list[Block], body_h: float) -> None:
    """A headline broken over several lines in a narrow column: its further lines, in type a little
    smaller than a display face, come out as subheads stacked right under it. Of the headline's size
    and set that close, they are part of it."""
    for h in sorted((b for b in blocks if b.kind == "headline"), key=lambda b: b.bbox[1]):
        line_h = (h.bbox[3] - h.bbox[1]) / max(1, len(h.line_ids))
        last = h
        for b in sorted((b for b in blocks if b.kind == "subhead"), key=lambda b: b.bbox[1]):
            gap = b.bbox[1] - last.bbox[3]
            h_b = (b.bbox[3] - b.bbox[1]) / max(1, len(b.line_ids))
            if (-0.3 * line_h <= gap <= 0.5 * line_h and h_b >= 0.85 * line_h
                    and _xoverlap(b.bbox, last.bbox) >= 0.5 * min(b.bbox[2] - b.bbox[0], last.bbox[2] - last.bbox[0])):
                b.kind = "headline"
                last = b


def _widen_headline(hb: BBox, index: int, heads: list[BBox], blocks: list[Block], vrules: list[BBox],
                    body_h: float) -> BBox:
    """How far a headline reaches sideways: a centred headline over a wide article owns the columns beside
    it too, up to a vertical rule, another block on its row, or the edge of the text area."""
    x0, y0, x1, y1 = hb
    left = min((b.bbox[0] for b in blocks), default=x0)
    right = max((b.bbox[2] for b in blocks), default=x1)
    for b in [*blocks, *(Block(id="", kind="headline", bbox=h) for j, h in enumerate(heads) if j != index)]:
        if b.bbox == hb or b.kind in ("masthead", "folio"):
            continue
        if min(b.bbox[3], y1) - max(b.bbox[1], y0) <= 0.3 * min(y1 - y0, b.bbox[3] - b.bbox[1]):
            continue
        # A block beside the headline bounds it halfway, unless a rule stands between them: the rule
        # is the bound then.
        if b.bbox[2] <= x0 and not _rule_in(vrules, b.bbox[2], x0, y0 - body_h, y1 + body_h):
            left = max(left, (b.bbox[2] + x0) / 2)
        elif b.bbox[0] >= x1 and not _rule_in(vrules, x1, b.bbox[0], y0 - body_h, y1 + body_h):
            right = min(right, (b.bbox[0] + x1) / 2)
    for r in vrules:
        if r[1] <= y1 and r[3] >= y0 - body_h:  # a rule beside the headline or starting just below it
            cx = (r[0] + r[2]) / 2
            if cx <= x0:
                left = max(left, cx)
            elif cx >= x1:
                right = min(right, cx)
    return (min(left, x0), y0, max(right, x1), y1)


def _promote_opening_subheads(blocks: list[Block], rules: list[Separator], body_h: float,
                              height: float, vrules: list[BBox] | None = None) -> None:
    """A subhead that stands first in its column within its band of the page, under no headline, opens
    an article: it is that article's headline (old papers set section heads in body size, only centred
    or spaced out). A subhead with running text above it in its column is a crosshead."""
    heads = [o for o in blocks if o.kind == "headline"]
    boxes = [o.bbox for o in heads]
    wide = [_widen_headline(hb, i, boxes, blocks, vrules or [], body_h) for i, hb in enumerate(boxes)]
    for b in blocks:
        if b.kind != "subhead":
            continue
        top, _ = _band(b, rules, height)
        above = [o for o in blocks if o is not b and o.kind in ("headline", "body", "subhead", "jump", "byline")
                 and top - 2 <= o.bbox[1] and o.bbox[3] <= b.bbox[1] + 2
                 and _xoverlap(o.bbox, b.bbox) > 0.5 * min(o.bbox[2] - o.bbox[0], b.bbox[2] - b.bbox[0])]
        # A headline of the same band reaching over it (a jump head over a continued article): the
        # subhead is a crosshead of that article, at the top of one of its columns.
        covered = any(top - 2 <= w[1] and w[3] <= b.bbox[1] + 2 and _xoverlap(w, b.bbox) >= 0.5 * (b.bbox[2] - b.bbox[0])
                      for w in wide)
        if not above and not covered:
            b.kind = "headline"


def _band(b: Block, rules: list[Separator], height: float) -> tuple[float, float]:
    """The rules above and below a block that run across its width (or the page edges)."""
    top, bottom = 0.0, float(height)
    w = b.bbox[2] - b.bbox[0]
    for r in rules:
        if _xoverlap(r.bbox, b.bbox) < 0.5 * w:
            continue
        y = (r.bbox[1] + r.bbox[3]) / 2
        if y <= b.bbox[1] + 2:
            top = max(top, y)
        elif y >= b.bbox[3] - 2:
            bottom = min(bottom, y)
    return top, bottom


def _over_photo(hb: BBox, blocks: list[Block], body_h: float) -> bool:
    """A photo stands right under the headline: a picture story, whose text is its caption."""
    return any(b.kind == "photo" and -body_h <= b.bbox[1] - hb[3] <= 3 * body_h
               and _xoverlap(b.bbox, hb) >= 0.5 * (hb[2] - hb[0]) for b in blocks)


def _ruled_off(b: Block, vrules: list[BBox], body_h: float) -> bool:
    """A vertical rule stands at the left of ``b``'s top, between it and the column before."""
    for r in vrules:
        cx = (r[0] + r[2]) / 2
        if b.bbox[0] - 1.6 * (b.bbox[2] - b.bbox[0]) <= cx <= b.bbox[0] + body_h * 0.5 \
                and r[1] <= b.bbox[1] + body_h and r[3] >= b.bbox[1]:
            return True
    return False


def _column_flow(b: Block, content: list[Block], owner: dict[str, int], rules: list[Separator],
                 body_h: float, height: float) -> int:
    """The article whose text runs on at the top of ``b``'s column: the one ending lowest in the column
    to the left, within the same band of the page. -1 when ``b`` is not the first block of its column in
    that band, or nothing fits."""
    top, bottom = _band(b, rules, height)
    width = b.bbox[2] - b.bbox[0]
    for o in content:
        if o is not b and _xoverlap(o.bbox, b.bbox) >= 0.5 * width and top - 2 <= o.bbox[1] < b.bbox[1]:
            return -1  # something stands above b in its own column and band
    candidates = [
        o for o in content
        if o.id in owner and o.kind not in ("photo", "caption")
        and b.bbox[0] - width * 1.6 <= o.bbox[2] <= b.bbox[0] + body_h
        and o.bbox[1] >= top - 2 and o.bbox[3] <= bottom + 2
    ]
    if not candidates:
        return -1
    # The nearest column to the left, and in it the block that ends lowest.
    nearest = max(o.bbox[2] for o in candidates)
    return owner[max((o for o in candidates if o.bbox[2] >= nearest - body_h), key=lambda o: o.bbox[3]).id]


def _captions(content: list[Block], body_h: float) -> dict[str, str]:
    """caption block id -> photo block id: the photo right above (or below) it, over the same columns."""
    photos = [b for b in content if b.kind == "photo"]
    out: dict[str, str] = {}
    for c in (b for b in content if b.kind == "caption"):
        near = sorted(
            (p for p in photos if _xoverlap(p.bbox, c.bbox) > 0.3 * (c.bbox[2] - c.bbox[0])),
            key=lambda p: min(abs(c.bbox[1] - p.bbox[3]), abs(p.bbox[1] - c.bbox[3])),
        )
        if near and min(abs(c.bbox[1] - near[0].bbox[3]), abs(near[0].bbox[1] - c.bbox[3])) <= body_h * 3:
            out[c.id] = near[0].id
    return out


def _one_row(boxes: list[BBox]) -> bool:
    """Every box shares most of its height with every other: pieces of one printed line."""
    return all(min(a[3], b[3]) - max(a[1], b[1]) > 0.5 * min(a[3] - a[1], b[3] - b[1])
               for i, a in enumerate(boxes) for b in boxes[i + 1:])


def _cut(items: list[int], boxes: list[BBox], lo: int, hi: int, min_gap: float) -> list[list[int]]:
    """Split ``items`` where white space at least ``min_gap`` wide runs across them, along the axis
    whose box edges are ``lo``/``hi`` (1/3: rows; 0/2: columns), in page order."""
    items = sorted(items, key=lambda i: boxes[i][lo])
    parts: list[list[int]] = [[items[0]]]
    end = boxes[items[0]][hi]
    for i in items[1:]:
        if boxes[i][lo] - end >= min_gap:
            parts.append([i])
        else:
            parts[-1].append(i)
        end = max(end, boxes[i][hi])
    return parts


def strip_order(boxes: list[BBox], body_h: float) -> list[list[int]]:
    """Reading order of the pieces of a masthead strip, as rows of indices into ``boxes``, each row read
    left to right.

    A recursive X-Y cut: the strip is cut first at white space running across it (a title above its
    ears, a date line below them), then each band at white space running down it (left ear, title, right
    ear), so that an ear printed on several lines is read top to bottom before the title beside it, not
    row by row across the page. A band whose pieces all stand on one line (a date line) is one row.
    Line spacing inside an ear is no cut: rows of the ears beside each other can leave a thin white band
    across the strip that is no boundary."""
    def order(items: list[int]) -> list[list[int]]:
        if len(items) == 1 or _one_row([boxes[i] for i in items]):
            return [sorted(items, key=lambda i: boxes[i][0])]
        for lo, hi, gap in ((1, 3, 0.4 * body_h), (0, 2, body_h)):
            parts = _cut(items, boxes, lo, hi, gap)
            if len(parts) > 1:
                return [row for part in parts for row in order(part)]
        # No cut: rows top to bottom (pieces sharing most of their height are one row).
        rows: list[list[int]] = []
        for i in sorted(items, key=lambda i: (boxes[i][1] + boxes[i][3]) / 2):
            if rows and _one_row([boxes[j] for j in rows[-1]] + [boxes[i]]):
                rows[-1].append(i)
            else:
                rows.append([i])
        return [sorted(r, key=lambda i: boxes[i][0]) for r in rows]

    return order(list(range(len(boxes)))) if boxes else []


def _rows_then_left(articles: list[PageArticle], tol: float) -> list[PageArticle]:
    """Articles in rows down the page, each row left to right: an article whose top is within ``tol`` of
    the first top of the row joins the row. (Rounding the tops to a grid instead put two headlines 13 px
    apart into different rows whenever a grid line fell between them.)"""
    rows: list[list[PageArticle]] = []
    for a in sorted(articles, key=lambda a: a.top):
        if rows and a.top - rows[-1][0].top <= tol:
            rows[-1].append(a)
        else:
            rows.append([a])
    return [a for row in rows for a in sorted(row, key=lambda a: a.left)]


def group_articles(page: Page, body_h: float, lefts: list[float] | None = None) -> list[PageArticle]:
    """Assign each block to an article and order everything; sets page.reading_order.

    ``lefts``: left edges of the page's columns (from the column grid); estimated from the blocks when
    not given."""
    blocks = page.blocks
    rules = [s for s in page.separators if s.kind == "hrule"]
    _demote_inline_headlines(blocks, rules, body_h)
    vrules = [s.bbox for s in page.separators if s.kind == "vrule"]
    _drop_headline_fragments(blocks)
    _absorb_inner_heads(page, blocks, body_h)
    _demote_continuing_heads(page, blocks)
    _headline_over_byline(page, blocks, rules, body_h)
    _promote_opening_subheads(blocks, rules, body_h, page.height, vrules)
    _absorb_headline_tails(blocks, body_h)
    heads = [b for b in blocks if b.kind == "headline"]
    head_groups = _group_headlines(heads, body_h)
    articles = [PageArticle(headline=g) for g in head_groups]
    head_box = [
        (min(b.bbox[0] for b in g), min(b.bbox[1] for b in g), max(b.bbox[2] for b in g), max(b.bbox[3] for b in g))
        for g in head_groups
    ]
    wide_box = [_widen_headline(hb, i, head_box, blocks, vrules, body_h) for i, hb in enumerate(head_box)]
    lefts = lefts or column_lefts(blocks, body_h)
    tol = body_h * 1.5
    content = [b for b in blocks if b.kind in CONTENT_KINDS]
    # Column-major order: the order in which a reader meets the blocks when following the columns.
    content.sort(key=lambda b: (_column_key(b, lefts, tol), b.bbox[1]))
    caption_of = _captions(content, body_h)

    def headline_above(b: Block, boxes: list[BBox]) -> int:
        """The lowest headline above ``b`` over its column, with no rule between; -1 when none."""
        best, best_y = -1, -1.0
        for i, hb in enumerate(boxes):
            if hb[3] > b.bbox[1] + body_h * 0.5:
                continue
            # Over most of the block, or most of a narrow headline centred over its column.
            if _xoverlap(hb, b.bbox) < 0.5 * min(b.bbox[2] - b.bbox[0], hb[2] - hb[0]):
                continue
            if _rule_between(hb, b.bbox, rules, body_h * 0.3):
                continue
            if hb[3] > best_y:
                best, best_y = i, hb[3]
        return best

    owner: dict[str, int] = {}
    for b in content:
        if b.id not in caption_of and (i := headline_above(b, head_box)) >= 0:
            owner[b.id] = i
    # Blocks under no headline continue the article read just before them: the block right above in the
    # same column (no rule between), or, for the first block of a column within its band of the page
    # (between the rules across it), the article that ends lowest in the column to its left within the
    # same band. Only then does a centred headline reach sideways over them (a jump head over a wide
    # continuation). Anything else starts a headline-less article.
    prev: Block | None = None
    for b in content:
        if b.id in caption_of:
            continue
        if b.id not in owner:
            target = -1
            if b.kind != "photo" and prev is not None and prev.id in owner:
                # Over the narrower of the two: a paragraph's short last line ("nennen.") is a block
                # of its own when its box stops short of the column's right edge. Boxes of imported
                # lines may overlap a little where one block ends and the next begins.
                same_column = _xoverlap(prev.bbox, b.bbox) >= 0.5 * min(b.bbox[2] - b.bbox[0], prev.bbox[2] - prev.bbox[0])
                if same_column and -0.5 * body_h <= b.bbox[1] - prev.bbox[3] <= body_h * 3 and not _rule_between(
                    prev.bbox, b.bbox, rules, body_h * 0.3
                ):
                    target = owner[prev.id]
            if target < 0 and b.kind != "photo":
                # A rule on the left with a headline reaching over from the right (a stepped article
                # that starts beside its headline): the column is that headline's. Rules also stand
                # between columns of one article, so a rule alone does not stop the flow.
                if _ruled_off(b, vrules, body_h):
                    i = headline_above(b, wide_box)
                    if i >= 0 and b.bbox[1] - head_box[i][3] <= 4 * body_h and not _over_photo(head_box[i], blocks, body_h):
                        target = i
            if target < 0 and b.kind != "photo":
                target = _column_flow(b, content, owner, rules, body_h, page.height)
            if target < 0:
                target = headline_above(b, wide_box)
            if target < 0:
                articles.append(PageArticle(kind="photo" if b.kind == "photo" else "news"))
                target = len(articles) - 1
            owner[b.id] = target
        prev = b
    for c, p in caption_of.items():
        if p in owner:
            owner[c] = owner[p]
    for b in content:
        if b.id in owner:
            articles[owner[b.id]].blocks.append(b)
        elif b.kind == "caption":  # a caption whose photo was not found stands as a photo item
            articles.append(PageArticle(blocks=[b], kind="photo"))

    articles = [a for a in articles if a.all_blocks]
    for a in articles:
        if a.kind == "news" and a.blocks and all(b.kind in ("photo", "caption") for b in a.blocks):
            a.kind = "photo"
        # Photos first with their captions right after them, then the text in column order.
        a.blocks.sort(key=lambda b: (_column_key(b, lefts, tol), b.bbox[1]))
        ordered: list[Block] = []
        for b in a.blocks:
            if b.id in caption_of:
                continue
            ordered.append(b)
            ordered.extend(c for c in a.blocks if caption_of.get(c.id) == b.id)
        a.blocks = ordered
    articles = _rows_then_left(articles, body_h * 2)
    strip = [b for b in blocks if b.kind in ("masthead", "folio") and b.bbox[1] < page.height / 2]
    order: list[str] = [strip[i].id for row in strip_order([b.bbox for b in strip], body_h) for i in row]
    for a in articles:
        order.extend(b.id for b in a.all_blocks)
    for b in blocks:
        if b.id not in order:
            order.append(b.id)
    page.reading_order = order
    return articles
