"""Helpers shared by the ALTO and PAGE importers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ocr_pipeline.errors import BadInputError
from ocr_pipeline.model import BBox, Point


def parse_xml(path: Path) -> Any:
    """Parse safely (no entity expansion, no network) and turn failures into ``BadInputError``."""
    from lxml import etree

    if not path.exists():
        raise BadInputError("file not found; check the path", path=str(path))
    if path.stat().st_size == 0:
        raise BadInputError("file is empty (0 bytes)", path=str(path))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True)
    try:
        return etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise BadInputError(f"not well-formed XML ({exc}); the file is damaged", path=str(path)) from None


class UniqueIds:
    """Keeps ids from the file, renaming duplicates and filling in missing ones."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.counters: dict[str, int] = {}

    def take(self, wanted: str | None, prefix: str) -> str:
        if wanted and wanted not in self.used:
            self.used.add(wanted)
            return wanted
        base = wanted or prefix
        while True:
            self.counters[base] = self.counters.get(base, 0) + 1
            cand = f"{base}_{self.counters[base]}"
            if cand not in self.used:
                self.used.add(cand)
                return cand


def polygon_bbox(points: list[Point]) -> BBox:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def rule_kind(bbox: BBox) -> str:
    """A long thin region is a printed rule; anything else is a graphic."""
    w, h = bbox[2] - bbox[0], bbox[3] - bbox[1]
    if w >= 4 * max(h, 1e-6):
        return "hrule"
    if h >= 4 * max(w, 1e-6):
        return "vrule"
    return "graphic"
