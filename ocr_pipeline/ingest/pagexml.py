"""Import of PAGE XML files (2013 and 2019 schemas; other PAGE versions with the same elements work too)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ocr_pipeline.errors import BadInputError
from ocr_pipeline.ingest._xml import UniqueIds, parse_xml, polygon_bbox, rule_kind
from ocr_pipeline.ingest.formats import PAGE_NAMESPACE_PREFIX, find_image_beside
from ocr_pipeline.ingest.types import TextPage
from ocr_pipeline.model import BBox, Block, Char, Line, Point, ProcessingStep, Separator, bbox_union

logger = logging.getLogger(__name__)

# PAGE region types with a clear counterpart among our block kinds; the rest stay "text" for layout.
_REGION_KINDS = {
    "heading": "headline",
    "caption": "caption",
    "page-number": "folio",
    "header": "folio",
    "credit": "byline",
}
_GRAPHIC_REGIONS = ("ImageRegion", "GraphicRegion", "ChartRegion", "MathsRegion", "ChemRegion", "AdvertRegion",
                    "MusicRegion", "MapRegion", "TableRegion")


def _points(el: Any, q: Any, scale: float) -> list[Point]:
    """Points of a Coords/Baseline element: the ``points`` attribute, or PAGE 2010's Point children."""
    if el is None:
        return []
    pts: list[Point] = []
    raw = el.get("points")
    if raw:
        for pair in raw.split():
            x, _, y = pair.partition(",")
            try:
                pts.append((float(x) * scale, float(y) * scale))
            except ValueError:
                continue
    else:
        for p in el.findall(q("Point")):
            try:
                pts.append((float(p.get("x")) * scale, float(p.get("y")) * scale))
            except (TypeError, ValueError):
                continue
    return pts


def _text_equiv(el: Any, q: Any) -> tuple[str, float | None]:
    """Text and confidence of the element's own TextEquiv (the lowest @index where there are several)."""
    best: tuple[int, str, float | None] | None = None
    for te in el.findall(q("TextEquiv")):
        try:
            idx = int(te.get("index", "0"))
        except ValueError:
            idx = 0
        text = te.findtext(q("Unicode")) or ""
        conf = te.get("conf")
        try:
            c = float(conf) if conf is not None else None
        except ValueError:
            c = None
        if best is None or idx < best[0]:
            best = (idx, text, c)
    if best is None:
        return "", None
    return best[1], best[2]


def _flatten_order(group: Any, q: Any) -> list[str]:
    """Region ids of a ReadingOrder group in order: indexed children by @index, nested groups in place."""
    refs: list[str] = []
    if group.get("regionRef"):
        refs.append(group.get("regionRef"))
    children = [c for c in group if isinstance(c.tag, str)]
    if any(c.get("index") is not None for c in children):
        children.sort(key=lambda c: int(c.get("index", "0")) if c.get("index", "0").lstrip("-").isdigit() else 0)
    for c in children:
        local = c.tag.rpartition("}")[2]
        if local in ("RegionRef", "RegionRefIndexed"):
            if c.get("regionRef"):
                refs.append(c.get("regionRef"))
        elif local in ("OrderedGroup", "OrderedGroupIndexed", "UnorderedGroup", "UnorderedGroupIndexed"):
            refs.extend(_flatten_order(c, q))
    return refs


def read_page(path: Path | str, *, image_path: Path | None = None) -> TextPage:
    """Read a PAGE XML file: TextRegions become blocks (ids kept), TextLines lines (text from the line's
    TextEquiv, else its Words joined), Words word boxes; ReadingOrder flattened to block ids; separator,
    image and graphic regions become separators. Coordinates are scaled when the image beside the file has
    another size than the one the file was made for."""
    path = Path(path)
    root = parse_xml(path)
    ns, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if local != "PcGts" or not ns.startswith(PAGE_NAMESPACE_PREFIX):
        raise BadInputError(f"not a PAGE file (root element {root.tag}); give a PAGE 2013/2019 file", path=str(path))

    def q(tag: str) -> str:
        return f"{{{ns}}}{tag}"

    page_el = root.find(q("Page"))
    if page_el is None:
        raise BadInputError("PAGE file has no Page element; nothing to import", path=str(path))
    try:
        img_w = int(float(page_el.get("imageWidth", "0")))
        img_h = int(float(page_el.get("imageHeight", "0")))
    except ValueError:
        img_w = img_h = 0
    image_path = image_path or find_image_beside(path, page_el.get("imageFilename"))
    header = None
    if image_path is not None:
        from ocr_pipeline.ingest.images import read_image_header

        try:
            header = read_image_header(image_path)
        except BadInputError as exc:
            logger.warning("%s: image beside the PAGE file not readable (%s)", image_path, exc)
    scale = 1.0
    width, height = img_w, img_h
    if header is not None:
        if img_w and abs(header.width - img_w) > 0.01 * img_w:
            scale = header.width / img_w
            logger.info("%s: made for a %d px wide image, the image is %d px; coordinates scaled", path.name,
                        img_w, header.width)
        width, height = header.width, header.height
    if not width or not height:
        raise BadInputError("PAGE file has no imageWidth/imageHeight and no image beside it", path=str(path))

    def clamp(b: BBox) -> BBox:
        return (max(0.0, min(b[0], width)), max(0.0, min(b[1], height)),
                max(0.0, min(b[2], width)), max(0.0, min(b[3], height)))

    ids = UniqueIds()
    file_to_block: dict[str, str] = {}
    lines: list[Line] = []
    blocks: list[Block] = []
    for region in page_el.iter(q("TextRegion")):
        region_pts = _points(region.find(q("Coords")), q, scale)
        block_id = ids.take(region.get("id"), "region")
        if region.get("id"):
            file_to_block[region.get("id")] = block_id
        line_ids: list[str] = []
        # Lines of nested regions belong to those regions, so only direct children are read here.
        for tl in region.findall(q("TextLine")):
            words: list[Char] = []
            for w in tl.findall(q("Word")):
                wt, wc = _text_equiv(w, q)
                wpts = _points(w.find(q("Coords")), q, scale)
                if wt.strip() and len(wpts) >= 2:
                    words.append(Char(wt.strip(), clamp(polygon_bbox(wpts)), 1.0 if wc is None else wc))
            text, conf = _text_equiv(tl, q)
            text = " ".join(text.split())
            if not text:
                text = " ".join(w.text for w in words)
            if not text:
                continue
            pts = _points(tl.find(q("Coords")), q, scale)
            if len(pts) >= 3:
                bbox, polygon = clamp(polygon_bbox(pts)), pts
            elif words:
                bbox, polygon = bbox_union([w.bbox for w in words]), None
            else:
                base = _points(tl.find(q("Baseline")), q, scale)
                if not base:
                    logger.debug("%s: line %s has no coordinates; skipped", path.name, tl.get("id"))
                    continue
                bx0, by0, bx1, by1 = polygon_bbox(base)
                # Without a line polygon, the x-height above the baseline is unknown: assume a line of 2% of
                # the page height, which is a body line on a typical newspaper scan.
                bbox, polygon = clamp((bx0, by0 - 0.02 * height, bx1, by1 + 0.005 * height)), None
            if words and conf is None:
                conf = sum(w.confidence for w in words) / len(words)
            line_id = ids.take(tl.get("id"), "line")
            lines.append(
                Line(
                    id=line_id,
                    bbox=bbox,
                    text=text,
                    confidence=1.0 if conf is None else round(conf, 4),
                    polygon=polygon,
                    words=words or None,
                )
            )
            line_ids.append(line_id)
        if len(region_pts) >= 3:
            bb = clamp(polygon_bbox(region_pts))
        elif line_ids:
            bb = bbox_union([ln.bbox for ln in lines[-len(line_ids):]])
        else:
            continue
        kind = _REGION_KINDS.get(region.get("type", ""), "text")
        blocks.append(Block(id=block_id, kind=kind, bbox=bb, line_ids=line_ids))

    separators: list[Separator] = []
    for tag in ("SeparatorRegion", *_GRAPHIC_REGIONS):
        for el in page_el.iter(q(tag)):
            pts = _points(el.find(q("Coords")), q, scale)
            if len(pts) < 2:
                continue
            bb = clamp(polygon_bbox(pts))
            kind = rule_kind(bb) if tag == "SeparatorRegion" else "graphic"
            separators.append(Separator(id=ids.take(el.get("id"), "sep"), kind=kind, bbox=bb))

    reading_order: list[str] = []
    block_ids = {b.id for b in blocks}
    ro = page_el.find(q("ReadingOrder"))
    if ro is not None:
        for group in ro:
            if not isinstance(group.tag, str):
                continue
            for ref in _flatten_order(group, q):
                bid = file_to_block.get(ref)
                if bid is None:
                    logger.debug("%s: reading order refers to %s, which is not a text region", path.name, ref)
                elif bid not in reading_order and bid in block_ids:
                    reading_order.append(bid)

    version = ns[len(PAGE_NAMESPACE_PREFIX):].strip("/")
    creator = root.findtext(f"{q('Metadata')}/{q('Creator')}") or ""
    logger.info("%s: PAGE %s, %d regions, %d lines, %d in reading order", path.name, version, len(blocks),
                len(lines), len(reading_order))
    return TextPage(
        width=int(width),
        height=int(height),
        lines=lines,
        dpi=header.dpi if header is not None else None,
        blocks=blocks,
        separators=separators,
        reading_order=reading_order,
        provenance=[
            ProcessingStep(
                stage="ocr",
                name="import",
                version=f"PAGE {version}",
                model=creator.strip(),
                settings={"source": path.name, "scale": scale},
            )
        ],
    )
