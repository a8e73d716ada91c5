"""Layout: rules, photos, regions, blocks and their kinds, reading order and articles on a page."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from ocr_pipeline.model import BBox, Block, Line, Page, Separator

if TYPE_CHECKING:
    from ocr_pipeline.layout.articles import PageArticle

log = logging.getLogger(__name__)


def analyze_page(page: Page, image: np.ndarray | None = None, regions: list[BBox] | None = None,
                 ink: np.ndarray | None = None, photos: list[BBox] | None = None,
                 merge_rows: bool = True,
                 columns: list[tuple[float, float]] | None = None,
                 profile: str = "generic") -> list[PageArticle]:
    """Fill ``page.blocks`` (with kinds and article membership), ``page.columns`` and
    ``page.reading_order`` from its lines and separators; return the page's articles in reading order.

    ``merge_rows``: join pieces of one printed line that our detector split (wide word spaces, spaced-out
    titles). Off for lines from a text layer or an imported OCR file, which come already segmented and
    whose regions are only estimated, so pieces on one row may sit in different columns.
    ``columns``: the page's column grid when already known (from the image, see ``find_regions``);
    else it is estimated from the lines. ``profile``: the layout profile whose jump grammar applies."""
    from ocr_pipeline.layout.articles import column_lefts, group_articles
    from ocr_pipeline.layout.blocks import (
        build_blocks,
        classify_block,
        fit_line_boxes,
        line_weights,
        make_block,
        page_stats,
    )
    from ocr_pipeline.layout.grid import column_grid, regions_from_grid
    from ocr_pipeline.layout.photos import find_photos
    from ocr_pipeline.layout.regions import binarize, find_regions_from_lines

    lines = [ln for ln in page.lines if ln.text.strip()]
    if ink is None and image is not None:
        ink = binarize(image)
    if merge_rows:  # our own detector's boxes; a text layer's or an imported file's are kept as they are
        fit_line_boxes(lines, ink)
    weights = line_weights(lines, ink)
    stats = page_stats(lines, weights, page.width, page.height)
    stats.profile = profile
    grid = columns or column_grid(lines, page.width, stats.body_height)
    if regions is None:
        hrules = [s.bbox for s in page.separators if s.kind == "hrule"]
        regions = (regions_from_grid(lines, grid, stats.body_height, hrules) if grid
                   else find_regions_from_lines(lines, page.width, page.height))
    # The masthead's own letters may reach into its rule: measure to the rule's foot, plus a little.
    wide_rules = sorted(
        s.bbox[3] + 0.3 * stats.body_height for s in page.separators
        if s.kind == "hrule" and s.bbox[2] - s.bbox[0] >= 0.6 * page.width and s.bbox[1] <= 0.25 * page.height
        and s.bbox[1] >= 0.06 * page.height and s.bbox[3] <= 0.2 * page.height
    )
    # Several wide rules may stack under a masthead (a date line between two rules): the lowest of them
    # in the top fifth of the page closes the masthead area.
    stats.masthead_bottom = wide_rules[-1] if wide_rules else 0.0
    if photos is None and image is not None:
        photos = find_photos(image, stats.body_height)
    if photos:
        n = len(page.separators)
        page.separators.extend(Separator(id=f"s{n + i:03d}", kind="graphic", bbox=b) for i, b in enumerate(photos, 1))
    photo_boxes = [s.bbox for s in page.separators if s.kind == "graphic"]
    # Text "read" inside a picture is noise: it stays in page.lines but joins no block.
    lines = [ln for ln in lines if not any(_share_inside(ln.bbox, p) > 0.5 for p in photo_boxes)]

    vrules = [s.bbox for s in page.separators if s.kind == "vrule"]
    groups = build_blocks(lines, regions, stats, weights, merge_rows=merge_rows, vrules=vrules)
    blocks: list[Block] = []
    for g, role in groups:
        bbox = (min(ln.bbox[0] for ln in g), min(ln.bbox[1] for ln in g), max(ln.bbox[2] for ln in g),
                max(ln.bbox[3] for ln in g))
        near_photo = any(
            0 <= bbox[1] - p[3] <= stats.body_height * 1.5 and min(bbox[2], p[2]) - max(bbox[0], p[0]) > 0
            for p in photo_boxes
        ) and len(g) <= 6
        kind = classify_block(g, bbox, stats, weights, page.number, near_photo, role)
        blocks.append(make_block(len(blocks) + 1, kind, g))
    _extend_captions(blocks, stats.body_height, photo_boxes)
    blocks = _merge_stacked_blocks(blocks, stats.body_height, photo_boxes)
    blocks = _merge_masthead_rows(blocks, stats.body_height)
    _order_block_lines(blocks, {ln.id: ln for g, _ in groups for ln in g})
    blocks = _join_body_runs(blocks, stats.body_height, [s.bbox for s in page.separators if s.kind == "hrule"])
    for p in photo_boxes:
        blocks.append(Block(id=f"b{len(blocks) + 1:03d}", kind="photo", bbox=p))
    page.blocks = blocks
    if grid:
        page.columns = grid
        colw = float(np.median([x1 - x0 for x0, x1 in grid]))
    else:
        lefts = column_lefts(blocks, stats.body_height)
        body_widths = sorted(b.bbox[2] - b.bbox[0] for b in blocks if b.kind == "body")
        colw = body_widths[len(body_widths) // 2] if body_widths else 0.0
        page.columns = [(x, x + colw) for x in lefts]
    for b in blocks:
        idx = [i for i, (x0, x1) in enumerate(page.columns) if min(x1, b.bbox[2]) - max(x0, b.bbox[0]) > colw * 0.3]
        b.columns = (idx[0], idx[-1]) if idx else None
    articles = group_articles(page, stats.body_height, [x0 for x0, _ in page.columns])
    # Lines in reading order, so that anything reading page.lines in sequence reads columns properly.
    # Lines joined by build_blocks replace their pieces.
    merged = {ln.id: ln for g, _ in groups for ln in g}
    covered = {i for b in blocks for i in b.line_ids}
    kept = []
    for ln in page.lines:
        if ln.id in merged:
            kept.append(merged[ln.id])
        elif not _is_piece_of(ln, merged.values(), covered):
            kept.append(ln)
    page.lines = kept
    lm = page.line_map()
    bm = page.block_map()
    ordered = [lm[i] for bid in page.reading_order for i in bm[bid].line_ids if i in lm]
    seen = {ln.id for ln in ordered}
    page.lines = ordered + [ln for ln in page.lines if ln.id not in seen]
    return articles


def _share_inside(b: BBox, box: BBox) -> float:
    w = max(0.0, min(b[2], box[2]) - max(b[0], box[0]))
    h = max(0.0, min(b[3], box[3]) - max(b[1], box[1]))
    area = max(1e-6, (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / area


def _is_piece_of(ln: Line, merged: Iterable[Line], covered: set[str]) -> bool:
    """A line that was joined into a longer one (its id is gone, its box lies inside the joined line)."""
    if ln.id in covered:
        return False
    text = ln.text.strip()
    # The text test first: it rules out nearly every pair, and costs less than the boxes' overlap.
    return any(text in m.text and m.id != ln.id and _share_inside(ln.bbox, m.bbox) > 0.9 for m in merged)


def _extend_captions(blocks: list[Block], body_h: float, photos: list[BBox] | None = None) -> None:
    """A short block right under a caption, within its width, finishes that caption (the credit line
    "■本报记者 … 摄" often stands apart); so does any short piece of text set right under a photo and
    within its width (OCR may cut a caption line into pieces that look like anything)."""
    for b in sorted(blocks, key=lambda b: b.bbox[1]):
        if b.kind not in ("body", "byline", "subhead") or len(b.line_ids) > 3:
            continue
        for p in photos or ():
            below = 0 <= b.bbox[1] - p[3] <= 2.5 * body_h
            if below and b.bbox[0] >= p[0] - body_h and b.bbox[2] <= p[2] + body_h:
                b.kind = "caption"
                break
        if b.kind == "caption" or len(b.line_ids) > 2:
            continue
        for c in blocks:
            if c.kind != "caption" or c is b:
                continue
            gap = b.bbox[1] - c.bbox[3]
            if -0.3 * body_h <= gap <= 0.8 * body_h and b.bbox[0] >= c.bbox[0] - body_h and b.bbox[2] <= c.bbox[2] + body_h:
                b.kind = "caption"
                break


def _photo_above(b: BBox, photos: list[BBox], body_h: float) -> int:
    """Index of the photo right above a caption box, over its centre; -1 when none."""
    cx = (b[0] + b[2]) / 2
    for i, p in enumerate(photos):
        if p[0] - body_h <= cx <= p[2] + body_h and -body_h <= b[1] - p[3] <= 3 * body_h:
            return i
    return -1


def _order_block_lines(blocks: list[Block], lines: dict[str, Line]) -> None:
    """Lines of a caption or headline in reading order: row by row, left to right within a row. Pieces
    of one line read apart (a caption line recognised in two regions) would otherwise read in the order
    they were found. Other blocks keep their region order: a block of running text can hold two
    columns' lines side by side, which must not interleave."""
    for b in blocks:
        if b.kind not in ("caption", "headline") or len(b.line_ids) < 2 or any(i not in lines for i in b.line_ids):
            continue
        lns = sorted((lines[i] for i in b.line_ids), key=lambda ln: (ln.bbox[1] + ln.bbox[3]) / 2)
        rows: list[list[Line]] = []
        for ln in lns:
            last = rows[-1] if rows else None
            if last is not None and any(
                    min(o.bbox[3], ln.bbox[3]) - max(o.bbox[1], ln.bbox[1])
                    > 0.5 * min(o.bbox[3] - o.bbox[1], ln.bbox[3] - ln.bbox[1]) for o in last):
                last.append(ln)
            else:
                rows.append([ln])
        b.line_ids = [ln.id for row in rows for ln in sorted(row, key=lambda x: x.bbox[0])]


def _join_body_runs(blocks: list[Block], body_h: float, hrules: list[BBox]) -> list[Block]:
    """Body blocks stacked in one column at the usual line spacing are one block: regions break at
    paragraph gaps and wherever a cut found white space, which is no boundary of the text."""
    from ocr_pipeline.model import bbox_union

    out: list[Block] = []
    for b in sorted(blocks, key=lambda b: (b.bbox[1], b.bbox[0])):
        if b.kind == "body":
            for o in out:
                if o.kind != "body":
                    continue
                gap = b.bbox[1] - o.bbox[3]
                if not (-0.3 * body_h <= gap <= 0.8 * body_h):
                    continue
                if abs(o.bbox[0] - b.bbox[0]) > 1.5 * body_h or abs(o.bbox[2] - b.bbox[2]) > 1.5 * body_h:
                    continue
                if any(min(r[2], b.bbox[2]) - max(r[0], b.bbox[0]) > 0.5 * (b.bbox[2] - b.bbox[0])
                       and o.bbox[3] - 2 <= (r[1] + r[3]) / 2 <= b.bbox[1] + 2 for r in hrules):
                    continue
                o.bbox = bbox_union([o.bbox, b.bbox])
                o.line_ids = o.line_ids + b.line_ids
                break
            else:
                out.append(b)
        else:
            out.append(b)
    return _in_page_order(out, blocks)


def _merge_masthead_rows(blocks: list[Block], body_h: float) -> list[Block]:
    """The strip under a masthead (date, place, volume, price) is one line of pieces: one block, read
    left to right. Pieces side by side are only one line when nothing in the strip stands between them
    in a column of its own: the first lines of the left and right ears, on one row across the title,
    stay apart (``strip_order`` tells the rows)."""
    from ocr_pipeline.layout.articles import strip_order
    from ocr_pipeline.model import bbox_union

    heads = [b for b in blocks if b.kind == "masthead"]
    gone: set[int] = set()
    for row in strip_order([b.bbox for b in heads], body_h):
        pieces = [heads[i] for i in row]
        if len(pieces) < 2 or max(b.bbox[3] - b.bbox[1] for b in pieces) >= 2 * body_h:
            continue  # a title set large is no strip line
        first = pieces[0]
        first.bbox = bbox_union([b.bbox for b in pieces])
        first.line_ids = [i for b in pieces for i in b.line_ids]
        gone.update(id(b) for b in pieces[1:])
    out = [b for b in blocks if id(b) not in gone]
    for i, b in enumerate(out, 1):
        b.id = f"b{i:03d}"
    return out


def _merge_stacked_blocks(blocks: list[Block], body_h: float, photos: list[BBox] | None = None) -> list[Block]:
    """A headline set on two lines, or a caption with its credit line, is one block: lines of such a
    block can come from different regions (one per line), so they are joined here, stacked closely over
    the same columns. Captions under two different photos stay apart, however close they are."""
    from ocr_pipeline.model import bbox_union

    photos = photos or []
    out: list[Block] = []
    for b in sorted(blocks, key=lambda b: (b.bbox[1], b.bbox[0])):
        for o in out:
            if o.kind != b.kind or b.kind not in ("headline", "caption", "subhead", "masthead"):
                continue
            if b.kind == "masthead":  # joined by _merge_masthead_rows, which sees the whole strip
                continue
            if b.kind == "caption" and _photo_above(o.bbox, photos, body_h) != _photo_above(b.bbox, photos, body_h):
                continue
            h = min(o.bbox[3] - o.bbox[1], b.bbox[3] - b.bbox[1]) / max(1, len(o.line_ids))
            gap = b.bbox[1] - o.bbox[3]
            overlap = min(o.bbox[2], b.bbox[2]) - max(o.bbox[0], b.bbox[0])
            stacked = -0.3 * h <= gap <= max(0.8 * h, 0.6 * body_h) and overlap >= 0.5 * min(
                o.bbox[2] - o.bbox[0], b.bbox[2] - b.bbox[0])
            if b.kind == "subhead":
                stacked = stacked and len(o.line_ids) + len(b.line_ids) <= 3
            # Pieces of one caption side by side (the same rows, a word space or two apart).
            side = (b.kind == "caption" and min(o.bbox[3], b.bbox[3]) - max(o.bbox[1], b.bbox[1]) > 0.5 * body_h
                    and -body_h <= max(b.bbox[0] - o.bbox[2], o.bbox[0] - b.bbox[2]) <= 2 * body_h)
            if stacked or side:
                o.bbox = bbox_union([o.bbox, b.bbox])
                o.line_ids = o.line_ids + b.line_ids
                break
        else:
            out.append(b)
    return _in_page_order(out, blocks)


def _in_page_order(kept: list[Block], blocks: list[Block]) -> list[Block]:
    """The blocks left after joins, in the order they had among ``blocks``, numbered again in that order."""
    order = {id(b): i for i, b in enumerate(blocks)}
    kept.sort(key=lambda b: order[id(b)])
    for i, b in enumerate(kept, 1):
        b.id = f"b{i:03d}"
    return kept
