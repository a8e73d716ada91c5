"""Page-level scores: block kinds, reading order and page text against a TruthPage.

Predicted blocks are boxes, ground-truth regions may be polygons (PAGE). Overlaps are counted on a
label raster of the truth page at reduced resolution, so that an L-shaped region is not mistaken for
its bounding box.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import cv2
import numpy as np
from rapidfuzz.distance import Levenshtein

from ocr_pipeline.evaluate.normalize import normalize_text
from ocr_pipeline.evaluate.pages import TruthPage
from ocr_pipeline.model import BBox, Page

# Longest side of the label raster; 1,000 px keeps a 30 px text line about 7 px high on a broadsheet.
_RASTER_SIDE = 1000


def order_edit_distance(truth: list[str], predicted: list[str]) -> float:
    """Normalised edit distance between two reading sequences (OmniDocBench): 0 same order, 1 nothing alike."""
    n = max(len(truth), len(predicted))
    if n == 0:
        return 0.0
    return float(Levenshtein.distance(truth, predicted)) / n


def _bbox_iou(a: BBox, b: BBox) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass(slots=True)
class _Raster:
    labels: np.ndarray  # int32, -1 where no region
    scale: float
    areas: np.ndarray  # pixels per region index

    def counts(self, box: BBox) -> tuple[np.ndarray, float]:
        """Pixels of each region inside ``box`` (truth coordinates) and the box area, in raster pixels."""
        h, w = self.labels.shape
        x0 = int(np.clip(np.floor(box[0] * self.scale), 0, w))
        y0 = int(np.clip(np.floor(box[1] * self.scale), 0, h))
        x1 = int(np.clip(np.ceil(box[2] * self.scale), 0, w))
        y1 = int(np.clip(np.ceil(box[3] * self.scale), 0, h))
        area = max(0, x1 - x0) * max(0, y1 - y0)
        win = self.labels[y0:y1, x0:x1].ravel()
        win = win[win >= 0]
        return np.bincount(win, minlength=len(self.areas)), float(area)


def _raster(truth: TruthPage) -> _Raster:
    w = max(truth.width, int(max((r.bbox[2] for r in truth.regions), default=1)), 1)
    h = max(truth.height, int(max((r.bbox[3] for r in truth.regions), default=1)), 1)
    scale = min(1.0, _RASTER_SIDE / max(w, h))
    labels = np.full((int(np.ceil(h * scale)) + 1, int(np.ceil(w * scale)) + 1), -1, dtype=np.int32)
    # Largest first, so a region nested inside another stays visible on top of it.
    idx = sorted(range(len(truth.regions)), key=lambda i: -_poly_area(truth.regions[i].polygon))
    for i in idx:
        pts = np.round(np.asarray(truth.regions[i].polygon, dtype=np.float64) * scale).astype(np.int32)
        cv2.fillPoly(labels, [pts.reshape(-1, 1, 2)], (int(i),))
    areas = np.bincount(labels[labels >= 0].ravel(), minlength=len(truth.regions))
    return _Raster(labels, scale, areas)


def _poly_area(poly: list[tuple[float, float]]) -> float:
    a = 0.0
    for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1], strict=True):
        a += x0 * y1 - x1 * y0
    return abs(a) / 2


def _scaled_blocks(truth: TruthPage, page: Page) -> dict[str, BBox]:
    """Predicted block boxes in truth-page coordinates (the prediction may be at another resolution)."""
    sx = truth.width / page.width if truth.width and page.width else 1.0
    sy = truth.height / page.height if truth.height and page.height else 1.0
    return {b.id: (b.bbox[0] * sx, b.bbox[1] * sy, b.bbox[2] * sx, b.bbox[3] * sy) for b in page.blocks}


@dataclass(slots=True)
class PageScore:
    page: int
    truth_regions: int = 0
    predicted_blocks: int = 0
    # reading order
    order_distance: float | None = None
    order_regions_matched: int = 0
    truth_sequence: list[str] = field(default_factory=list)
    predicted_sequence: list[str] = field(default_factory=list)
    # block kinds
    kinds_scored: int = 0
    kinds_correct: int = 0
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)
    # page text in reading order
    text_chars: int = 0
    text_distance: int | None = None

    @property
    def kind_accuracy(self) -> float | None:
        return self.kinds_correct / self.kinds_scored if self.kinds_scored else None

    @property
    def text_cer(self) -> float | None:
        if self.text_distance is None or not self.text_chars:
            return None
        return self.text_distance / self.text_chars

    def to_dict(self) -> dict[str, object]:
        return {
            "page": self.page,
            "truth_regions": self.truth_regions,
            "predicted_blocks": self.predicted_blocks,
            "reading_order_distance": self.order_distance,
            "reading_order_regions_matched": self.order_regions_matched,
            "block_kinds_scored": self.kinds_scored,
            "block_kinds_correct": self.kinds_correct,
            "block_kind_accuracy": self.kind_accuracy,
            "block_kind_confusion": self.confusion,
            "text_chars": self.text_chars,
            "text_distance": self.text_distance,
            "text_cer": self.text_cer,
        }


def map_blocks_to_regions(truth: TruthPage, page: Page, raster: _Raster | None = None) -> dict[str, str]:
    """Predicted block id -> truth region id.

    By id where the prediction kept the truth's ids (imported from the same PAGE file) and the boxes
    agree; otherwise the region with the greatest overlap, when it covers a fifth of the block or half
    of the region.
    """
    raster = raster or _raster(truth)
    regions = truth.regions
    rmap = truth.region_map()
    boxes = _scaled_blocks(truth, page)
    out: dict[str, str] = {}
    for bid, box in boxes.items():
        same = rmap.get(bid)
        if same is not None and _bbox_iou(box, same.bbox) >= 0.5:
            out[bid] = bid
            continue
        counts, area = raster.counts(box)
        if not counts.size or counts.max() == 0:
            continue
        i = int(counts.argmax())
        inter = float(counts[i])
        if inter >= 0.2 * area or inter >= 0.5 * float(raster.areas[i]):
            out[bid] = regions[i].id
    return out


def _line_regions(truth: TruthPage, page: Page, raster: _Raster) -> dict[str, str]:
    """Predicted line id -> the truth region under the centre of the line (truth coordinates)."""
    sx = truth.width / page.width if truth.width and page.width else 1.0
    sy = truth.height / page.height if truth.height and page.height else 1.0
    h, w = raster.labels.shape
    out: dict[str, str] = {}
    for ln in page.lines:
        cx = int((ln.bbox[0] + ln.bbox[2]) / 2 * sx * raster.scale)
        cy = int((ln.bbox[1] + ln.bbox[3]) / 2 * sy * raster.scale)
        if 0 <= cx < w and 0 <= cy < h and raster.labels[cy, cx] >= 0:
            out[ln.id] = truth.regions[int(raster.labels[cy, cx])].id
    return out


def _kind_matches(truth: TruthPage, page: Page, raster: _Raster) -> dict[str, str]:
    """Truth region id -> predicted block id, one to one, IoU >= 0.5 (polygon area vs block box)."""
    boxes = _scaled_blocks(truth, page)
    cand: list[tuple[float, int, str]] = []
    for bid, box in boxes.items():
        counts, area = raster.counts(box)
        for i in np.nonzero(counts)[0]:
            inter = float(counts[i])
            union = area + float(raster.areas[i]) - inter
            iou = inter / union if union > 0 else 0.0
            if iou >= 0.5:
                cand.append((iou, int(i), bid))
    cand.sort(reverse=True)
    used_r: set[int] = set()
    used_b: set[str] = set()
    out: dict[str, str] = {}
    for _, i, bid in cand:
        if i in used_r or bid in used_b:
            continue
        used_r.add(i)
        used_b.add(bid)
        out[truth.regions[i].id] = bid
    return out


def _page_text(blocks: list[tuple[str, str]]) -> str:
    parts = [normalize_text(t) for _, t in blocks]
    return "\n".join(p for p in parts if p)


def score_page(truth: TruthPage, page: Page | None) -> PageScore:
    """Reading order, block kinds and page text of one predicted page (None: the page is missing)."""
    score = PageScore(truth.number, truth_regions=len(truth.regions))
    rmap = truth.region_map()
    truth_text = _page_text([(rid, rmap[rid].text) for rid in truth.reading_order if rid in rmap])
    score.text_chars = len(truth_text)
    scorable = [r for r in truth.regions if truth.has_kinds and r.kind != "text"]
    if page is None:
        score.kinds_scored = len(scorable)
        for r in scorable:
            score.confusion.setdefault(r.kind, {}).setdefault("(none)", 0)
            score.confusion[r.kind]["(none)"] += 1
        score.text_distance = score.text_chars if truth_text else None
        score.order_distance = 1.0 if truth.reading_order else None
        return score
    score.predicted_blocks = len(page.blocks)
    raster = _raster(truth)

    # Reading order: both sequences restricted to regions the prediction found, so that this measures
    # order and not detection. The predicted sequence follows the lines of the blocks in reading order,
    # each line placed in the truth region under its centre, so a block that holds several truth regions
    # (a column of paragraphs) is scored by the order of its text, not by one label; a region read in one
    # stretch counts once, one read in several stretches counts each time.
    mapping = map_blocks_to_regions(truth, page, raster)
    order = page.reading_order or [b.id for b in page.blocks]
    pred_seq: list[str] = []
    line_regions = _line_regions(truth, page, raster)
    bmap_o = page.block_map()
    for bid in order:
        b = bmap_o.get(bid)
        rids = [line_regions.get(i) for i in b.line_ids] if b is not None and b.line_ids else [mapping.get(bid)]
        for rid in rids:
            if rid is not None and (not pred_seq or pred_seq[-1] != rid):
                pred_seq.append(rid)
    found = set(pred_seq)
    truth_seq = [rid for rid in truth.reading_order if rid in found]
    pred_seq = [rid for rid in pred_seq if rid in set(truth.reading_order)]
    score.truth_sequence, score.predicted_sequence = truth_seq, pred_seq
    score.order_regions_matched = len(truth_seq)
    if truth.reading_order:
        score.order_distance = order_edit_distance(truth_seq, pred_seq) if truth_seq else 1.0

    # Block kinds: a truth region without a matching block counts as wrong.
    if scorable:
        matches = _kind_matches(truth, page, raster)
        bmap = page.block_map()
        conf: dict[str, Counter[str]] = {}
        for r in scorable:
            hit = matches.get(r.id)
            pk = bmap[hit].kind if hit is not None else "(none)"
            conf.setdefault(r.kind, Counter())[pk] += 1
            score.kinds_correct += pk == r.kind
        score.kinds_scored = len(scorable)
        score.confusion = {k: dict(sorted(v.items())) for k, v in sorted(conf.items())}

    # Page text in the predicted reading order.
    if truth_text:
        lines = page.line_map()
        bmap = page.block_map()
        pred_text = _page_text([
            (bid, " ".join(lines[i].text for i in bmap[bid].line_ids if i in lines))
            for bid in order if bid in bmap
        ])
        score.text_distance = int(Levenshtein.distance(truth_text, pred_text))
    return score
