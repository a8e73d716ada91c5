"""What a composed page is made of (text runs, rules, photos) and the truth built beside it."""

from __future__ import annotations

from dataclasses import dataclass, field

from ocr_pipeline.model import BBox, Block, Line, Page, Separator, bbox_union
from ocr_pipeline.samplegen.fonts import font


@dataclass(slots=True)
class Run:
    """Text drawn with its left end on the baseline at (x, y)."""

    font: str
    size: int
    x: float
    y: float
    text: str


@dataclass(slots=True)
class Photo:
    bbox: tuple[int, int, int, int]
    seed: int


@dataclass(slots=True)
class PageArt:
    width: int
    height: int
    runs: list[Run] = field(default_factory=list)
    rules: list[tuple[float, float, float, float]] = field(default_factory=list)
    photos: list[Photo] = field(default_factory=list)


def _r(b: BBox) -> BBox:
    return (round(b[0], 1), round(b[1], 1), round(b[2], 1), round(b[3], 1))


class PageBuilder:
    """Collects drawing instructions and the ground-truth page (lines, blocks, separators, reading order)."""

    def __init__(self, number: int, source: str, width: int, height: int, dpi: int) -> None:
        self.page = Page(number=number, source=source, width=width, height=height, dpi=float(dpi))
        self.art = PageArt(width, height)
        self._p = f"p{number}"

    def line(self, runs: list[Run], text: str) -> str:
        boxes = []
        for r in runs:
            if not r.text.strip():
                continue
            x0, y0, x1, y1 = font(r.font, r.size).getbbox(r.text, anchor="ls")
            boxes.append((r.x + x0, r.y + y0, r.x + x1, r.y + y1))
        self.art.runs.extend(runs)
        lid = f"{self._p}-l{len(self.page.lines) + 1:04d}"
        self.page.lines.append(Line(id=lid, bbox=_r(bbox_union(boxes)), text=text))
        return lid

    def block(self, kind: str, line_ids: list[str], columns: tuple[int, int] | None,
              article_id: str | None = None, bbox: BBox | None = None) -> str:
        if bbox is None:
            lm = self.page.line_map()
            bbox = bbox_union(lm[i].bbox for i in line_ids)
        bid = f"{self._p}-b{len(self.page.blocks) + 1:03d}"
        self.page.blocks.append(Block(id=bid, kind=kind, bbox=_r(bbox), line_ids=list(line_ids),
                                      columns=columns, article_id=article_id))
        self.page.reading_order.append(bid)
        return bid

    def rule(self, kind: str, bbox: BBox) -> None:
        self.art.rules.append(bbox)
        sid = f"{self._p}-s{len(self.page.separators) + 1:03d}"
        self.page.separators.append(Separator(id=sid, kind=kind, bbox=_r(bbox)))

    def photo(self, bbox: tuple[int, int, int, int], seed: int, columns: tuple[int, int] | None,
              article_id: str | None) -> str:
        self.art.photos.append(Photo(bbox, seed))
        sid = f"{self._p}-s{len(self.page.separators) + 1:03d}"
        self.page.separators.append(Separator(id=sid, kind="graphic", bbox=_r(bbox)))
        return self.block("photo", [], columns, article_id, bbox=bbox)
