"""Page-level ground truth: regions with a kind, a polygon, text and a reading order.

Two sources give it: a page of our own document model (``truth.json`` from the sample generator) and a
PAGE XML file (2010/2013/2019 namespaces) with a ReadingOrder. The PAGE reader lives here rather than in
``ingest`` because scoring must not change when the importer does: ground truth is read as literally
as possible.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ocr_pipeline.errors import BadInputError
from ocr_pipeline.model import BBox, Page, Point

log = logging.getLogger(__name__)

PAGE_NS_PREFIX = "http://schema.primaresearch.org/PAGE/gts/pagecontent/"

# PAGE TextRegion @type -> our block kind; regions of other element types by element name below.
_TEXT_TYPES = {
    "paragraph": "body",
    "heading": "headline",
    "caption": "caption",
    "header": "folio",
    "page-number": "folio",
    "footer": "other",
    "credit": "byline",
    "drop-capital": "body",
    "floating": "other",
    "signature-mark": "other",
    "catch-word": "other",
    "marginalia": "other",
    "footnote": "other",
    "footnote-continued": "other",
    "endnote": "other",
    "TOC-entry": "other",
    "list-label": "other",
    "other": "other",
}
_REGION_KINDS = {
    "ImageRegion": "photo",
    "GraphicRegion": "photo",
    "ChartRegion": "photo",
    "LineDrawingRegion": "photo",
    "AdvertRegion": "advertisement",
    "TableRegion": "other",
    "MathsRegion": "other",
    "ChemRegion": "other",
    "MusicRegion": "other",
    "MapRegion": "other",
    "NoiseRegion": "other",
    "UnknownRegion": "other",
    "CustomRegion": "other",
}


@dataclass(slots=True)
class TruthRegion:
    id: str
    kind: str
    polygon: list[Point]
    text: str = ""

    @property
    def bbox(self) -> BBox:
        xs = [p[0] for p in self.polygon]
        ys = [p[1] for p in self.polygon]
        return (min(xs), min(ys), max(xs), max(ys))


@dataclass(slots=True)
class TruthPage:
    number: int
    width: int
    height: int
    regions: list[TruthRegion] = field(default_factory=list)
    reading_order: list[str] = field(default_factory=list)
    source: str = ""
    # PAGE @imageFilename: the prediction's page may be named after the image rather than the XML file.
    image: str = ""
    # Whether kinds are meaningful (a PAGE region without @type, or a model block of kind "text", is not).
    has_kinds: bool = True

    def region_map(self) -> dict[str, TruthRegion]:
        return {r.id: r for r in self.regions}


def truth_page_from_model(page: Page) -> TruthPage:
    lines = page.line_map()
    regions = []
    for b in page.blocks:
        x0, y0, x1, y1 = b.bbox
        text = " ".join(lines[i].text for i in b.line_ids if i in lines)
        regions.append(TruthRegion(b.id, b.kind, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)], text))
    return TruthPage(page.number, page.width, page.height, regions, list(page.reading_order), page.source)


# --- PAGE XML ---------------------------------------------------------------------------------------

def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if _local(c) == name]


def _points(el: etree._Element) -> list[Point]:
    coords = _children(el, "Coords")
    if not coords:
        return []
    c = coords[0]
    pts = c.get("points")
    if pts:
        out = []
        for pair in pts.split():
            x, _, y = pair.partition(",")
            out.append((float(x), float(y)))
        return out
    # PAGE 2010 wrote <Point x= y=/> children instead of a points attribute.
    return [(float(p.get("x", 0)), float(p.get("y", 0))) for p in _children(c, "Point")]


def _text_equiv(el: etree._Element) -> str | None:
    eqs = _children(el, "TextEquiv")
    if not eqs:
        return None
    # Several TextEquivs are alternatives; the one with the lowest @index is the primary reading.
    eqs.sort(key=lambda e: int(e.get("index", "0") or 0))
    for eq in eqs:
        uni = _children(eq, "Unicode")
        if uni and uni[0].text is not None:
            return uni[0].text
    return None


def _region_text(el: etree._Element) -> str:
    lines = []
    for ln in _children(el, "TextLine"):
        t = _text_equiv(ln)
        if t is not None:
            lines.append(t)
    if lines:
        return "\n".join(lines)
    return _text_equiv(el) or ""


def _flatten_group(group: etree._Element) -> list[str]:
    """Region ids of an OrderedGroup/UnorderedGroup in reading order, nested groups flattened."""
    out: list[str] = []
    name = _local(group)
    members = [c for c in group if _local(c) in (
        "RegionRefIndexed", "OrderedGroupIndexed", "UnorderedGroupIndexed",
        "RegionRef", "OrderedGroup", "UnorderedGroup",
    )]
    if name.startswith("OrderedGroup"):
        members.sort(key=lambda c: int(c.get("index", "0") or 0))
    for c in members:
        kind = _local(c)
        ref = c.get("regionRef")
        if kind.startswith("RegionRef"):
            if ref:
                out.append(ref)
        else:
            # A group may itself stand for a region (@regionRef) that comes before its members.
            if ref:
                out.append(ref)
            out.extend(_flatten_group(c))
    return out


def read_reading_order(page_el: etree._Element) -> list[str]:
    ro = _children(page_el, "ReadingOrder")
    if not ro:
        return []
    groups = [c for c in ro[0] if _local(c) in ("OrderedGroup", "UnorderedGroup")]
    seen: set[str] = set()
    out = []
    for g in groups:
        for rid in _flatten_group(g):
            if rid not in seen:  # a region listed twice is read once, where it first appears
                seen.add(rid)
                out.append(rid)
    return out


def read_page_xml(path: str | Path, *, number: int = 1) -> TruthPage:
    """Read a PAGE XML file as ground truth: regions (separators left out), kinds, text, ReadingOrder."""
    path = Path(path)
    try:
        root = etree.parse(str(path)).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise BadInputError(f"cannot read PAGE XML ({exc}); give a PAGE file or a truth.json",
                            path=str(path)) from exc
    ns = etree.QName(root).namespace or ""
    if _local(root) != "PcGts" or not ns.startswith(PAGE_NS_PREFIX):
        raise BadInputError("not a PAGE XML file (root must be PcGts in a PAGE namespace)", path=str(path))
    pages = _children(root, "Page")
    if not pages:
        raise BadInputError("PAGE file has no Page element", path=str(path))
    page_el = pages[0]
    regions: list[TruthRegion] = []
    typed = 0
    for el in page_el.iter():
        name = _local(el)
        if not name.endswith("Region") or name == "SeparatorRegion" or not el.get("id"):
            continue
        poly = _points(el)
        if len(poly) < 3:
            log.warning("%s: region %s has no usable Coords; left out", path.name, el.get("id"))
            continue
        if name == "TextRegion":
            rtype = el.get("type")
            kind = _TEXT_TYPES.get(rtype or "", "text")
            typed += rtype is not None
            text = _region_text(el)
        else:
            kind = _REGION_KINDS.get(name, "other")
            typed += 1
            text = ""
        regions.append(TruthRegion(el.get("id", ""), kind, poly, text))
    ids = {r.id for r in regions}
    order = [rid for rid in read_reading_order(page_el) if rid in ids]
    stem = path.name
    for suffix in (".xml", ".page"):
        stem = stem.removesuffix(suffix)
    return TruthPage(
        number=number,
        width=int(float(page_el.get("imageWidth", "0"))),
        height=int(float(page_el.get("imageHeight", "0"))),
        regions=regions,
        reading_order=order,
        source=stem,
        image=Path(page_el.get("imageFilename", "")).name,
        has_kinds=typed > 0,
    )


def is_page_xml(path: str | Path) -> bool:
    """Cheap sniff: an XML file whose first kilobytes mention the PAGE namespace."""
    p = Path(path)
    if p.suffix.lower() != ".xml":
        return False
    with open(p, "rb") as fh:
        return PAGE_NS_PREFIX.encode() in fh.read(4096)
