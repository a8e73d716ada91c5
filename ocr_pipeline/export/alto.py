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
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from lxml import etree

from ocr_pipeline.export._common import IdMaker, has_forbidden, num, unit, write_files, xml_safe
from ocr_pipeline.model import BBox, Char, Edition, Line, Page, ProcessingStep
from ocr_pipeline.util.fs import PendingWrites

log = logging.getLogger(__name__)

ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{ALTO_NS} http://www.loc.gov/alto/v4/alto-4-4.xsd"

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


_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                               "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"})
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_NEEDS_ESCAPE = re.compile('[&<>"\t\n\r]')


def _q(value: str) -> str:
    """An attribute value, escaped (tab/newline as character references so they survive parsing)."""
    return value.translate(_ATTR_ESCAPES) if _NEEDS_ESCAPE.search(value) else value


class _Writer:
    """Streams indented XML into a list of strings.

    Written by hand rather than with lxml trees because a CJK page with character boxes has ~10,000
    Glyph elements, and building them as lxml elements took three times as long as the rest of the
    export together. Every value passes through ``_q`` / ``xml_safe``; the tests validate the output
    against the ALTO schema, hostile text included.
    """

    def __init__(self) -> None:
        self.parts: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>\n']
        self.stack: list[str] = []

    def _start(self, tag: str, attrs: dict[str, str] | None) -> str:
        pad = "  " * len(self.stack)
        if not attrs:
            return f"{pad}<{tag}"
        return f"{pad}<{tag} " + " ".join(f'{k}="{_q(v)}"' for k, v in attrs.items())

    def open(self, tag: str, attrs: dict[str, str] | None = None) -> None:
        self.parts.append(self._start(tag, attrs) + ">\n")
        self.stack.append(tag)

    def close(self) -> None:
        tag = self.stack.pop()
        self.parts.append(f"{'  ' * len(self.stack)}</{tag}>\n")

    def empty(self, tag: str, attrs: dict[str, str] | None = None) -> None:
        self.parts.append(self._start(tag, attrs) + "/>\n")

    def text(self, tag: str, text: str, attrs: dict[str, str] | None = None) -> None:
        self.parts.append(f"{self._start(tag, attrs)}>{xml_safe(text).translate(_TEXT_ESCAPES)}</{tag}>\n")

    def raw(self, text: str) -> None:
        self.parts.append(text)

    def bytes(self) -> bytes:
        assert not self.stack, self.stack
        return "".join(self.parts).encode("utf-8")


def _box_attrs(bbox: BBox) -> dict[str, str]:
    x0, y0, x1, y1 = bbox
    return {"HPOS": num(x0), "VPOS": num(y0), "WIDTH": num(max(0.0, x1 - x0)), "HEIGHT": num(max(0.0, y1 - y0))}


def _box_str(bbox: BBox) -> str:
    x0, y0, x1, y1 = bbox
    return f'HPOS="{num(x0)}" VPOS="{num(y0)}" WIDTH="{num(max(0.0, x1 - x0))}" HEIGHT="{num(max(0.0, y1 - y0))}"'


def _processing(w: _Writer, steps: Sequence[ProcessingStep], ids: IdMaker) -> list[str]:
    refs = []
    for i, step in enumerate(steps, start=1):
        pid = ids.make(f"PROC{i}")
        refs.append(pid)
        w.open("Processing", {"ID": pid})
        w.text("processingCategory", _PROCESSING_CATEGORY.get(step.stage, "other"))
        w.text("processingStepDescription", step.stage)
        if step.settings:
            w.text("processingStepSettings", json.dumps(step.settings, ensure_ascii=False, sort_keys=True, default=str))
        w.open("processingSoftware")
        w.text("softwareName", step.name)
        if step.version:
            w.text("softwareVersion", step.version)
        if step.model:
            w.text("applicationDescription", f"model: {step.model}")
        w.close()
        w.close()
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
    text = line.text
    aligned = _aligned_chars(text, line.chars)
    pairs: Iterable[tuple[str, Char | None]] = zip(text, aligned, strict=True)
    if has_forbidden(text):
        pairs = ((ch, c) for ch, c in pairs if xml_safe(ch))
    tokens: list[tuple[str, BBox | None, float, list[Char] | None]] = []
    cur: list[tuple[str, Char | None]] = []

    def flush() -> None:
        if not cur:
            return
        content = "".join(ch for ch, _ in cur)
        glyphs = [c for _, c in cur if c is not None]
        if len(glyphs) == len(cur):
            x0 = min(c.bbox[0] for c in glyphs)
            y0 = min(c.bbox[1] for c in glyphs)
            x1 = max(c.bbox[2] for c in glyphs)
            y1 = max(c.bbox[3] for c in glyphs)
            conf = min(c.confidence for c in glyphs)
            tokens.append((content, (x0, y0, x1, y1), conf, glyphs))
        else:
            tokens.append((content, None, line.confidence, None))
        cur.clear()

    for ch, c in pairs:
        if ch in _SPACES:
            flush()
        else:
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


def _text_line(w: _Writer, line: Line, ids: IdMaker) -> None:
    tokens = _tokens(line)
    attrs = {"ID": ids.make(line.id, "line_"), **_box_attrs(line.bbox)}
    w.open("TextLine", attrs)
    if not tokens:
        # ALTO requires a String in every TextLine; an empty one keeps a line the engine found but
        # could not read, with its box, instead of dropping it.
        w.raw(f'{"  " * len(w.stack)}<String CONTENT="" {_box_str(line.bbox)} WC="{unit(line.confidence)}"/>\n')
        w.close()
        return
    pad = "  " * len(w.stack)
    boxes = _estimate_boxes(line, tokens)
    prev: BBox | None = None
    out = []
    for (content, _, conf, glyphs), box in zip(tokens, boxes, strict=True):
        if prev is not None:
            gap_x0, gap_x1 = prev[2], box[0]
            if gap_x1 >= gap_x0:
                out.append(f'{pad}<SP HPOS="{num(gap_x0)}" VPOS="{num(min(prev[1], box[1]))}" '
                           f'WIDTH="{num(gap_x1 - gap_x0)}"/>\n')
            else:
                out.append(f"{pad}<SP/>\n")
        head = f'{pad}<String CONTENT="{_q(content)}" {_box_str(box)} WC="{unit(conf)}"'
        # Glyph CONTENT must be exactly one code point; a multi-code-point "character" (a base with a
        # combining mark from the engine) leaves the String without glyphs rather than invalid.
        if glyphs and all(len(g.text) == 1 and not has_forbidden(g.text) for g in glyphs):
            out.append(head + ">\n")
            out.extend(f'{pad}  <Glyph CONTENT="{_q(g.text)}" GC="{unit(g.confidence)}" {_box_str(g.bbox)}/>\n'
                       for g in glyphs)
            out.append(f"{pad}</String>\n")
        else:
            out.append(head + "/>\n")
        prev = box
    w.raw("".join(out))
    w.close()


def page_to_alto_bytes(page: Page, edition: Edition, extra_provenance: Sequence[ProcessingStep] = ()) -> bytes:
    """The ALTO 4.4 document for one page, as UTF-8 bytes."""
    ids = IdMaker()
    w = _Writer()
    w.open("alto", {"xmlns": ALTO_NS, "xmlns:xlink": XLINK_NS, "xmlns:xsi": XSI_NS,
                    "xsi:schemaLocation": SCHEMA_LOCATION, "SCHEMAVERSION": "4.4"})
    w.open("Description")
    w.text("MeasurementUnit", "pixel")
    w.open("sourceImageInformation")
    w.text("fileName", page.source)
    w.close()
    proc_refs = _processing(w, [*page.provenance, *extra_provenance], ids)
    w.close()

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
    orphans = _orphan_lines(page)

    kinds = sorted({b.kind for b in page.blocks} | ({"text"} if orphans else set()))
    kind_tag: dict[str, str] = {}
    art_tag: dict[str, str] = {}
    if kinds or page_articles or extra_ids:
        w.open("Tags")
        for kind in kinds:
            kind_tag[kind] = ids.make(f"LT_{kind}", "LT_")
            w.empty("LayoutTag", {"ID": kind_tag[kind], "TYPE": "block-kind", "LABEL": xml_safe(kind)})
        for art in page_articles:
            art_tag[art.id] = ids.make(f"ST_{art.id}", "ST_")
            w.empty("StructureTag", {
                "ID": art_tag[art.id], "TYPE": "article", "LABEL": xml_safe(art.headline) or xml_safe(art.id),
                "DESCRIPTION": f"article {xml_safe(art.id)}; pages {' '.join(str(p) for p in art.pages)}",
            })
        for aid in extra_ids:
            art_tag[aid] = ids.make(f"ST_{aid}", "ST_")
            w.empty("StructureTag", {"ID": art_tag[aid], "TYPE": "article", "LABEL": xml_safe(aid)})
        w.close()

    block_ids = {b.id: ids.make(b.id, "block_") for b in page.blocks}
    order = list(dict.fromkeys(bid for bid in page.reading_order if bid in block_ids))
    if order:
        w.open("ReadingOrder")
        w.open("OrderedGroup", {"ID": ids.make("RO_page", "RO_")})
        for bid in order:
            w.empty("ElementRef", {"ID": ids.make(f"RO_{bid}", "RO_"), "REF": block_ids[bid]})
        w.close()
        w.close()

    w.open("Layout")
    pg = {"ID": ids.make(f"page_{page.number}"), "PHYSICAL_IMG_NR": str(page.number),
          "WIDTH": num(page.width), "HEIGHT": num(page.height)}
    if page.lines:
        pg["PC"] = unit(sum(ln.confidence for ln in page.lines) / len(page.lines))
    if proc_refs:
        pg["PROCESSINGREFS"] = " ".join(proc_refs)
    w.open("Page", pg)
    w.open("PrintSpace", _box_attrs((0, 0, page.width, page.height)))

    lines = page.line_map()
    rank = {bid: i for i, bid in enumerate(order)}
    for block in sorted(page.blocks, key=lambda b: rank.get(b.id, len(rank))):
        refs = [kind_tag[block.kind]] + [art_tag[a] for a in members.get(block.id, []) if a in art_tag]
        attrs = {"ID": block_ids[block.id], "TAGREFS": " ".join(dict.fromkeys(refs)), **_box_attrs(block.bbox)}
        if block.kind == "photo":
            w.empty("Illustration", {**attrs, "TYPE": "photo"})
            continue
        block_lines = [lines[lid] for lid in block.line_ids if lid in lines]
        if not block_lines:
            w.empty("TextBlock", attrs)
            continue
        w.open("TextBlock", attrs)
        for line in block_lines:
            _text_line(w, line, ids)
        w.close()
    for line in orphans:
        w.open("TextBlock", {"ID": ids.make(f"block_{line.id}", "block_"), "TAGREFS": kind_tag["text"],
                             **_box_attrs(line.bbox)})
        _text_line(w, line, ids)
        w.close()
    for sep in page.separators:
        if sep.kind == "graphic":
            w.empty("Illustration", {"ID": ids.make(sep.id, "sep_"), "TYPE": "graphic", **_box_attrs(sep.bbox)})
        else:
            w.empty("GraphicalElement", {"ID": ids.make(sep.id, "sep_"), **_box_attrs(sep.bbox)})
    w.close()  # PrintSpace
    w.close()  # Page
    w.close()  # Layout
    w.close()  # alto
    return w.bytes()


def page_to_alto(page: Page, edition: Edition, extra_provenance: Sequence[ProcessingStep] = ()) -> etree._Element:
    """The ALTO document for one page as an lxml element (parsed back from :func:`page_to_alto_bytes`)."""
    return etree.fromstring(page_to_alto_bytes(page, edition, extra_provenance))


def _orphan_lines(page: Page) -> list[Line]:
    listed = {lid for b in page.blocks if b.kind != "photo" for lid in b.line_ids}
    return [ln for ln in page.lines if ln.id not in listed]


def alto_file_name(page: Page) -> str:
    return f"page-{page.number:02d}.xml"


def alto_path(outdir: Path, page: Page) -> Path:
    """Where the ALTO file of ``page`` goes: ``outdir``/alto/page-NN.xml."""
    return Path(outdir) / "alto" / alto_file_name(page)


def alto_file(edition: Edition, page: Page, outdir: Path) -> tuple[Path, bytes]:
    """(path, ALTO document) of one page of ``edition``."""
    return alto_path(outdir, page), page_to_alto_bytes(page, edition, edition.provenance)


def alto_files(edition: Edition, outdir: Path) -> list[tuple[Path, bytes]]:
    """(path, ALTO document) of each page of ``edition``, in ``outdir``/alto."""
    return [alto_file(edition, p, outdir) for p in edition.pages]


def write_alto(edition: Edition, outdir: Path, pending: PendingWrites | None = None) -> list[Path]:
    written = write_files(alto_files(edition, outdir), pending)
    log.debug("wrote %d ALTO files to %s", len(written), Path(outdir) / "alto")
    return written
