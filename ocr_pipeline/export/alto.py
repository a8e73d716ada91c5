"""ALTO 4.4: one file per page, in page pixels (``MeasurementUnit`` pixel).

What goes where:
- ``Description``: the page image (``sourceImageInformation/fileName``) and one ``Processing`` element per
  provenance step (stage, engine, model, version, settings). ALTO 4 deprecates ``OCRProcessing`` in
  favour of ``Processing``, so that is used.
- ``Tags``: a ``LayoutTag`` per block kind (``TYPE="block-kind"``) and a ``StructureTag`` per article on the
  page (``TYPE="article"``); each ``TextBlock``/``Illustration`` names its kind and article in ``TAGREFS``.
  ALTO's ``TextBlock`` has no type attribute, hence the tags.
- ``ReadingOrder``: the page's reading order as an ``OrderedGroup`` of block references.
- ``PrintSpace``: ``TextBlock``/``TextLine``/``String`` with boxes and ``WC``; blocks of kind "photo" and
  separators of kind "graphic" become ``Illustration``; rules become ``GraphicalElement``. Lines that no
  block lists get a ``TextBlock`` of their own, so no text is lost.

Strings: a line is split at spaces into ``String`` elements with ``SP`` between them. Word boxes come from
``Line.words`` when the engine gave them, else from ``Line.chars`` (which also become ``Glyph`` elements),
else they are estimated in proportion to the characters. CJK text without spaces is one ``String`` per
line (with a ``Glyph`` per character where boxes exist), so a reader that joins Strings with spaces at
``SP`` gets the line text back exactly. Runs of spaces collapse to one ``SP``; characters XML cannot carry
are removed (``_common.xml_safe``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from lxml import etree

from ocr_pipeline.export._common import IdMaker, num, unit, xml_safe
from ocr_pipeline.model import BBox, Char, Edition, Line, Page, ProcessingStep
from ocr_pipeline.util.fs import atomic_write_bytes

log = logging.getLogger(__name__)

ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{ALTO_NS} http://www.loc.gov/alto/v4/alto-4-4.xsd"

_A = f"{{{ALTO_NS}}}"
_SPACES = " \t\n\r"

_PROCESSING_CATEGORY = {
    "ingest": "preOperation",
    "preprocess": "preOperation",
    "ocr": "contentGeneration",
    "engine": "contentGeneration",
    "layout": "contentGeneration",
    "reading_order": "contentGeneration",
    "articles": "contentGeneration",
    "text": "contentModification",
    "repair": "contentModification",
    "edition": "postOperation",
    "export": "postOperation",
}


def _box(el: etree._Element, bbox: BBox) -> None:
    x0, y0, x1, y1 = bbox
    el.set("HPOS", num(x0))
    el.set("VPOS", num(y0))
    el.set("WIDTH", num(max(0.0, x1 - x0)))
    el.set("HEIGHT", num(max(0.0, y1 - y0)))


def _sub(parent: etree._Element, tag: str, /, **attrib: str) -> etree._Element:
    return etree.SubElement(parent, _A + tag, attrib)


def _text_el(parent: etree._Element, tag: str, text: str) -> etree._Element:
    el = etree.SubElement(parent, _A + tag)
    el.text = xml_safe(text)
    return el


def _processing(desc: etree._Element, steps: Sequence[ProcessingStep], ids: IdMaker) -> list[str]:
    refs = []
    for i, step in enumerate(steps, start=1):
        pid = ids.make(f"PROC{i}")
        refs.append(pid)
        el = _sub(desc, "Processing", ID=pid)
        _text_el(el, "processingCategory", _PROCESSING_CATEGORY.get(step.stage, "other"))
        _text_el(el, "processingStepDescription", step.stage)
        if step.settings:
            _text_el(el, "processingStepSettings", json.dumps(step.settings, ensure_ascii=False, sort_keys=True, default=str))
        sw = _sub(el, "processingSoftware")
        _text_el(sw, "softwareName", step.name)
        if step.version:
            _text_el(sw, "softwareVersion", step.version)
        if step.model:
            _text_el(sw, "applicationDescription", f"model: {step.model}")
    return refs


def _aligned_chars(text: str, chars: list[Char] | None) -> list[Char | None]:
    """One entry per character of ``text``: its box when ``chars`` can be aligned to the text (one per
    character, or one per non-space character), else None."""
    if not chars:
        return [None] * len(text)
    if len(chars) == len(text):
        return list(chars)
    nonspace = [i for i, ch in enumerate(text) if ch not in _SPACES]
    if len(chars) == len(nonspace):
        out: list[Char | None] = [None] * len(text)
        for i, c in zip(nonspace, chars, strict=True):
            out[i] = c
        return out
    return [None] * len(text)


def _tokens(line: Line) -> list[tuple[str, BBox | None, float, list[Char] | None]]:
    """(content, box or None, confidence, glyph boxes or None) per space-separated word of the line."""
    if line.words and xml_safe(" ".join(w.text for w in line.words)).split() == xml_safe(line.text).split():
        return [(xml_safe(w.text), w.bbox, w.confidence, None) for w in line.words if xml_safe(w.text)]
    aligned = _aligned_chars(line.text, line.chars)
    tokens: list[tuple[str, BBox | None, float, list[Char] | None]] = []
    cur: list[tuple[str, Char | None]] = []

    def flush() -> None:
        if not cur:
            return
        content = "".join(ch for ch, _ in cur)
        boxes = [c for _, c in cur]
        if all(c is not None for c in boxes):
            glyphs = [c for c in boxes if c is not None]
            x0 = min(c.bbox[0] for c in glyphs)
            y0 = min(c.bbox[1] for c in glyphs)
            x1 = max(c.bbox[2] for c in glyphs)
            y1 = max(c.bbox[3] for c in glyphs)
            conf = min(c.confidence for c in glyphs)
            tokens.append((content, (x0, y0, x1, y1), conf, glyphs))
        else:
            tokens.append((content, None, line.confidence, None))
        cur.clear()

    for ch, c in zip(line.text, aligned, strict=True):
        if ch in _SPACES:
            flush()
        elif xml_safe(ch):
            cur.append((ch, c))
    flush()
    return tokens


def _estimate_boxes(line: Line, tokens: list[tuple[str, BBox | None, float, list[Char] | None]]) -> list[BBox]:
    """Token boxes: given ones, else a share of the line box in proportion to the characters (a space
    counts as one character)."""
    if all(t[1] is not None for t in tokens):
        return [t[1] for t in tokens if t[1] is not None]
    x0, y0, x1, y1 = line.bbox
    vertical = (y1 - y0) > 1.5 * (x1 - x0) and sum(len(t[0]) for t in tokens) > 1
    total = sum(len(t[0]) for t in tokens) + max(0, len(tokens) - 1)
    span = (y1 - y0) if vertical else (x1 - x0)
    step = span / total if total else 0.0
    boxes: list[BBox] = []
    pos = 0
    for content, given, _, _ in tokens:
        a = (y0 if vertical else x0) + pos * step
        b = a + len(content) * step
        est: BBox = (x0, a, x1, b) if vertical else (a, y0, b, y1)
        boxes.append(given if given is not None else est)
        pos += len(content) + 1
    return boxes


def _text_line(parent: etree._Element, line: Line, ids: IdMaker) -> None:
    tl = _sub(parent, "TextLine", ID=ids.make(line.id, "line_"))
    _box(tl, line.bbox)
    tokens = _tokens(line)
    if not tokens:
        return
    boxes = _estimate_boxes(line, tokens)
    prev: BBox | None = None
    for (content, _, conf, glyphs), box in zip(tokens, boxes, strict=True):
        if prev is not None:
            sp = _sub(tl, "SP")
            gap_x0, gap_x1 = prev[2], box[0]
            if gap_x1 >= gap_x0:
                sp.set("HPOS", num(gap_x0))
                sp.set("VPOS", num(min(prev[1], box[1])))
                sp.set("WIDTH", num(gap_x1 - gap_x0))
        s = _sub(tl, "String", CONTENT=content)
        _box(s, box)
        s.set("WC", unit(conf))
        # Glyph CONTENT must be exactly one code point; a multi-code-point "character" (a base with a
        # combining mark from the engine) leaves the String without glyphs rather than invalid.
        if glyphs and all(len(g.text) == 1 and xml_safe(g.text) for g in glyphs):
            for g in glyphs:
                ge = _sub(s, "Glyph", CONTENT=g.text)
                ge.set("GC", unit(g.confidence))
                _box(ge, g.bbox)
        prev = box


def page_to_alto(page: Page, edition: Edition, extra_provenance: Sequence[ProcessingStep] = ()) -> etree._Element:
    ids = IdMaker()
    root = etree.Element(_A + "alto", nsmap={None: ALTO_NS, "xlink": XLINK_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    root.set("SCHEMAVERSION", "4.4")

    desc = _sub(root, "Description")
    _text_el(desc, "MeasurementUnit", "pixel")
    sii = _sub(desc, "sourceImageInformation")
    _text_el(sii, "fileName", page.source)
    proc_refs = _processing(desc, [*page.provenance, *extra_provenance], ids)

    # Article membership: the articles' block references, and Block.article_id as a fallback.
    members: dict[str, list[str]] = {}
    page_articles = []
    for art in edition.articles:
        refs = [r.block_id for r in art.blocks if r.page == page.number]
        if refs or page.number in art.pages:
            page_articles.append(art)
        for bid in refs:
            members.setdefault(bid, []).append(art.id)
    for block in page.blocks:
        if block.article_id and block.article_id not in members.get(block.id, []):
            members.setdefault(block.id, []).append(block.article_id)
    known_articles = {a.id for a in page_articles}
    extra_ids = sorted({aid for ids_ in members.values() for aid in ids_} - known_articles)

    kinds = sorted({b.kind for b in page.blocks} | ({"text"} if _orphan_lines(page) else set()))
    tags = _sub(root, "Tags") if kinds or page_articles or extra_ids else None
    kind_tag: dict[str, str] = {}
    art_tag: dict[str, str] = {}
    if tags is not None:
        for kind in kinds:
            kind_tag[kind] = ids.make(f"LT_{kind}", "LT_")
            _sub(tags, "LayoutTag", ID=kind_tag[kind], TYPE="block-kind", LABEL=xml_safe(kind))
        for art in page_articles:
            art_tag[art.id] = ids.make(f"ST_{art.id}", "ST_")
            el = _sub(tags, "StructureTag", ID=art_tag[art.id], TYPE="article", LABEL=xml_safe(art.headline) or xml_safe(art.id))
            el.set("DESCRIPTION", f"article {xml_safe(art.id)}; pages {' '.join(str(p) for p in art.pages)}")
        for aid in extra_ids:
            art_tag[aid] = ids.make(f"ST_{aid}", "ST_")
            _sub(tags, "StructureTag", ID=art_tag[aid], TYPE="article", LABEL=xml_safe(aid))

    block_ids = {b.id: ids.make(b.id, "block_") for b in page.blocks}
    order = [bid for bid in page.reading_order if bid in block_ids]
    if order:
        ro = _sub(root, "ReadingOrder")
        og = _sub(ro, "OrderedGroup", ID=ids.make("RO_page", "RO_"))
        for bid in dict.fromkeys(order):
            _sub(og, "ElementRef", ID=ids.make(f"RO_{bid}", "RO_"), REF=block_ids[bid])

    layout = _sub(root, "Layout")
    pg = _sub(layout, "Page", ID=ids.make(f"page_{page.number}"), PHYSICAL_IMG_NR=str(page.number))
    pg.set("WIDTH", num(page.width))
    pg.set("HEIGHT", num(page.height))
    if page.lines:
        pg.set("PC", unit(sum(ln.confidence for ln in page.lines) / len(page.lines)))
    if proc_refs:
        pg.set("PROCESSINGREFS", " ".join(proc_refs))
    ps = _sub(pg, "PrintSpace")
    _box(ps, (0, 0, page.width, page.height))

    lines = page.line_map()
    ordered = sorted(page.blocks, key=lambda b: order.index(b.id) if b.id in order else len(order))
    for block in ordered:
        refs = [kind_tag[block.kind]] + [art_tag[a] for a in members.get(block.id, []) if a in art_tag]
        if block.kind == "photo":
            el = _sub(ps, "Illustration", ID=block_ids[block.id], TYPE="photo")
        else:
            el = _sub(ps, "TextBlock", ID=block_ids[block.id])
        el.set("TAGREFS", " ".join(dict.fromkeys(refs)))
        _box(el, block.bbox)
        if block.kind != "photo":
            for lid in block.line_ids:
                if lid in lines:
                    _text_line(el, lines[lid], ids)
    for line in _orphan_lines(page):
        el = _sub(ps, "TextBlock", ID=ids.make(f"block_{line.id}", "block_"), TAGREFS=kind_tag["text"])
        _box(el, line.bbox)
        _text_line(el, line, ids)
    for sep in page.separators:
        if sep.kind == "graphic":
            el = _sub(ps, "Illustration", ID=ids.make(sep.id, "sep_"), TYPE="graphic")
        else:
            el = _sub(ps, "GraphicalElement", ID=ids.make(sep.id, "sep_"))
        _box(el, sep.bbox)
    return root


def _orphan_lines(page: Page) -> list[Line]:
    listed = {lid for b in page.blocks if b.kind != "photo" for lid in b.line_ids}
    return [ln for ln in page.lines if ln.id not in listed]


def alto_file_name(page: Page) -> str:
    return f"page-{page.number:02d}.xml"


def write_alto(edition: Edition, outdir: Path) -> list[Path]:
    altodir = Path(outdir) / "alto"
    written = []
    for page in edition.pages:
        root = page_to_alto(page, edition, edition.provenance)
        path = altodir / alto_file_name(page)
        atomic_write_bytes(path, etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
        written.append(path)
    log.debug("wrote %d ALTO files to %s", len(written), altodir)
    return written
