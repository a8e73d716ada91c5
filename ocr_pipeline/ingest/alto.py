"""Import of ALTO files (v2, v3, v4; v1 is read too): a library's existing OCR as the page's text source."""

from __future__ import annotations

import logging
import statistics
from pathlib import Path
from typing import Any

from ocr_pipeline.errors import BadInputError
from ocr_pipeline.ingest._xml import UniqueIds, parse_xml, rule_kind
from ocr_pipeline.ingest.formats import ALTO_NAMESPACES, find_image_beside
from ocr_pipeline.ingest.types import TextPage
from ocr_pipeline.model import BBox, Block, Char, Line, ProcessingStep, Separator, bbox_union

logger = logging.getLogger(__name__)

# Measurement units per inch; "pixel" needs no DPI.
_UNITS_PER_INCH = {"inch1200": 1200.0, "mm10": 254.0}


def _float(el: Any, name: str) -> float | None:
    v = el.get(name)
    if v is None or v == "":
        return None
    try:
        return float(v)
    except ValueError:
        return None


def _image_header(path: Path | None) -> Any:
    if path is None:
        return None
    from ocr_pipeline.ingest.images import read_image_header

    try:
        return read_image_header(path)
    except BadInputError as exc:
        logger.warning("%s: image beside the OCR file not readable (%s); using the file's own sizes", path, exc)
        return None


def _alto_scale(
    unit: str, page_w: float | None, page_h: float | None, header: Any, dpi: float | None, default_dpi: float
) -> tuple[float, float | None]:
    """(pixels per ALTO unit, DPI) for this file."""
    if unit not in _UNITS_PER_INCH:
        if unit != "pixel":
            logger.warning("unknown ALTO MeasurementUnit %r; read as pixels", unit)
        # Pixel ALTO made for a larger or smaller copy of the image: scale to the image we have.
        if header is not None and page_w and abs(header.width - page_w) > 0.01 * page_w:
            return header.width / page_w, header.dpi
        return 1.0, (dpi or (header.dpi if header is not None else None))
    per_inch = _UNITS_PER_INCH[unit]
    if dpi:
        return dpi / per_inch, float(dpi)
    if header is not None:
        ratio_dpi = None
        if page_w and page_h:
            rx, ry = header.width * per_inch / page_w, header.height * per_inch / page_h
            if abs(rx - ry) <= 0.03 * rx:
                ratio_dpi = (rx + ry) / 2
        if header.dpi and (ratio_dpi is None or abs(header.dpi - ratio_dpi) <= 0.03 * ratio_dpi):
            return header.dpi / per_inch, float(header.dpi)
        if ratio_dpi is not None:
            if header.dpi:
                logger.info("image says %.1f dpi but the ALTO page size gives %.1f dpi; using the latter",
                            header.dpi, ratio_dpi)
            return ratio_dpi / per_inch, ratio_dpi
    return default_dpi / per_inch, float(default_dpi)


def _order_from_reading_order(root: Any, q: Any, block_of: dict[str, str]) -> list[str]:
    """ALTO 4.2+ ReadingOrder: nested groups flattened in document order; refs to lines map to their block."""
    ro = root.find(q("ReadingOrder"))
    if ro is None:
        return []
    order: list[str] = []
    for ref in ro.iter(q("ElementRef")):
        for target in (ref.get("REF") or "").split():
            bid = block_of.get(target)
            if bid is not None and bid not in order:
                order.append(bid)
    return order


def _order_from_idnext(blocks_in_doc: list[tuple[str, str | None]], file_to_block: dict[str, str]) -> list[str]:
    """Follow IDNEXT chains, starting with blocks nothing points at, in document order."""
    nxt = {b: file_to_block.get(n) for b, n in blocks_in_doc if n}
    if not nxt:
        return []
    targets = {v for v in nxt.values() if v}
    order: list[str] = []
    for b, _ in blocks_in_doc:
        if b in targets or b in order:
            continue
        cur: str | None = b
        while cur is not None and cur not in order:
            order.append(cur)
            cur = nxt.get(cur)
    return order


def read_alto(
    path: Path | str,
    *,
    image_path: Path | None = None,
    dpi: float | None = None,
    default_dpi: float = 300.0,
) -> TextPage:
    """Read an ALTO file into page pixels.

    ``MeasurementUnit`` pixel, mm10 and inch1200 are converted; for mm10/inch1200 the DPI is ``dpi`` when
    given, else that of the image beside the file (checked against the ratio of image size to ALTO page
    size), else ``default_dpi``. TextBlocks become blocks, TextLines lines (text joined at SP elements, or
    with spaces where the file has none; HYP kept), Strings word boxes with WC as confidence;
    GraphicalElements rules or graphics, Illustrations graphics.
    """
    path = Path(path)
    root = parse_xml(path)
    qn = root.tag.partition("}")
    ns = qn[0][1:] if qn[1] else ""
    local = qn[2] if qn[1] else root.tag
    if local.lower() != "alto" or (ns and ns not in ALTO_NAMESPACES):
        raise BadInputError(f"not an ALTO file (root element {root.tag}); give an ALTO v2-v4 file", path=str(path))

    def q(tag: str) -> str:
        return f"{{{ns}}}{tag}" if ns else tag

    unit = (root.findtext(f"{q('Description')}/{q('MeasurementUnit')}") or "pixel").strip().lower()
    hint = root.findtext(f"{q('Description')}/{q('sourceImageInformation')}/{q('fileName')}")
    image_path = image_path or find_image_beside(path, hint.strip() if hint else None)
    header = _image_header(image_path)

    page_el = next(root.iter(q("Page")), None)
    if page_el is None:
        raise BadInputError("ALTO file has no Layout/Page element; nothing to import", path=str(path))
    page_w, page_h = _float(page_el, "WIDTH"), _float(page_el, "HEIGHT")
    s, eff_dpi = _alto_scale(unit, page_w, page_h, header, dpi, default_dpi)

    if header is not None:
        width, height = header.width, header.height
    elif page_w and page_h:
        width, height = round(page_w * s), round(page_h * s)
    else:
        raise BadInputError("ALTO Page has no WIDTH/HEIGHT and no image beside it; add the image", path=str(path))

    def box(el: Any) -> BBox | None:
        x, y, w, h = (_float(el, a) for a in ("HPOS", "VPOS", "WIDTH", "HEIGHT"))
        if x is None or y is None or w is None or h is None:
            return None
        # Clamped to the page: OCR engines write boxes a little outside it, and a negative index would wrap
        # around when a later stage crops the image.
        return (
            min(max(x * s, 0.0), width),
            min(max(y * s, 0.0), height),
            min(max((x + w) * s, 0.0), width),
            min(max((y + h) * s, 0.0), height),
        )

    ids = UniqueIds()
    lines: list[Line] = []
    blocks: list[Block] = []
    file_to_block: dict[str, str] = {}
    blocks_in_doc: list[tuple[str, str | None]] = []
    string_tag, sp_tag, hyp_tag = q("String"), q("SP"), q("HYP")

    for tb in page_el.iter(q("TextBlock")):
        block_id = ids.take(tb.get("ID"), "block")
        line_ids: list[str] = []
        for tl in tb.iter(q("TextLine")):
            parts = [c for c in tl if c.tag in (string_tag, sp_tag, hyp_tag)]
            uses_sp = any(c.tag == sp_tag for c in parts)
            # Each word: [text, bbox, confidences]; Strings not separated by SP (where the file uses SP) are
            # one word, so that words joined by spaces give the line's text.
            words: list[list[Any]] = []
            space_pending = True
            for c in parts:
                if c.tag == sp_tag:
                    space_pending = True
                    continue
                content = c.get("CONTENT") or ("-" if c.tag == hyp_tag else "")
                b = box(c)
                wc = _float(c, "WC") if c.tag == string_tag else None
                if c.tag == hyp_tag or (words and uses_sp and not space_pending):
                    if words:
                        w = words[-1]
                        w[0] += content
                        if b is None and w[1] is not None and c.get("HPOS") and c.get("WIDTH"):
                            # HYP usually has no HEIGHT: it widens the word it ends.
                            x1 = ((_float(c, "HPOS") or 0.0) + (_float(c, "WIDTH") or 0.0)) * s
                            b = (w[1][0], w[1][1], min(max(x1, w[1][2]), width), w[1][3])
                        w[1] = bbox_union([w[1], b]) if w[1] and b else (w[1] or b)
                        if wc is not None:
                            w[2].append(wc)
                        continue
                if content:
                    words.append([content, b, [wc] if wc is not None else []])
                space_pending = not uses_sp
            words = [w for w in words if w[0].strip()]
            if not words:
                continue
            text = " ".join(w[0] for w in words)
            all_wc = [v for w in words for v in w[2]]
            lb = box(tl)
            boxes = [w[1] for w in words if w[1] is not None]
            if lb is None:
                if not boxes:
                    continue
                lb = bbox_union(boxes)
            line_id = ids.take(tl.get("ID"), "line")
            if tl.get("ID"):
                file_to_block[tl.get("ID")] = block_id
            lines.append(
                Line(
                    id=line_id,
                    bbox=lb,
                    text=text,
                    confidence=round(statistics.fmean(all_wc), 4) if all_wc else 1.0,
                    words=[
                        Char(w[0], w[1] if w[1] is not None else lb, round(statistics.fmean(w[2]), 4) if w[2] else 1.0)
                        for w in words
                    ],
                )
            )
            line_ids.append(line_id)
        if not line_ids:
            continue
        bb = box(tb) or bbox_union([ln.bbox for ln in lines[-len(line_ids):]])
        blocks.append(Block(id=block_id, kind="text", bbox=bb, line_ids=line_ids))
        if tb.get("ID"):
            file_to_block[tb.get("ID")] = block_id
        blocks_in_doc.append((block_id, tb.get("IDNEXT")))

    separators: list[Separator] = []
    for tag, fixed in (("GraphicalElement", None), ("Illustration", "graphic")):
        for el in page_el.iter(q(tag)):
            b = box(el)
            if b is None:
                continue
            separators.append(Separator(id=ids.take(el.get("ID"), "sep"), kind=fixed or rule_kind(b), bbox=b))

    block_of = dict(file_to_block)
    reading_order = _order_from_reading_order(root, q, block_of) or _order_from_idnext(blocks_in_doc, file_to_block)

    software = root.findtext(f".//{q('softwareName')}") or ""
    version = ns.rsplit("ns-v", 1)[-1].rstrip("#") if "ns-v" in ns else "1"
    logger.info("%s: ALTO %s, %d blocks, %d lines, unit %s, %.1f px/unit", path.name, version, len(blocks),
                len(lines), unit, s)
    return TextPage(
        width=int(width),
        height=int(height),
        lines=lines,
        dpi=eff_dpi,
        blocks=blocks,
        separators=separators,
        reading_order=reading_order,
        provenance=[
            ProcessingStep(
                stage="ocr",
                name="import",
                version=f"ALTO {version}",
                model=software.strip(),
                settings={"source": path.name, "unit": unit, "dpi": eff_dpi},
            )
        ],
    )
