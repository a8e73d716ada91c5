"""Build ``report.html`` (for people) and ``report.json`` (for machines) for one edition folder.

The HTML is one self-contained file: inline CSS and JS, page thumbnails embedded as JPEG data URIs, plain
SVG overlays in page pixels (``viewBox`` = the page size, so no coordinate is ever rescaled by hand).
Full-size page images are linked relatively (``pages/page-NN.jpg``), so the folder can be moved or
zipped as a whole and still work from disk.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import logging
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ocr_pipeline import __version__
from ocr_pipeline.errors import ExportError
from ocr_pipeline.model import Article, Block, Edition, Line, Page, load_edition_folder
from ocr_pipeline.report.flags import LOW_CONFIDENCE, UNMATCHED_CODES, ReportFlag, collect_flags
from ocr_pipeline.report.marks import article_lines, mark_paragraphs
from ocr_pipeline.report.score import ConfidenceStats, LineConfidences, page_stats, quality_score
from ocr_pipeline.util.fs import atomic_write_text

log = logging.getLogger(__name__)

# 600 px: a 2,400 px scan decodes at exactly 1/4 scale in JPEG draft mode, with no resampling after.
THUMB_WIDTH = 600
THUMB_QUALITY = 70
# Bytes per thumbnail before base64 (x 4/3): 16 pages stay under ~3.5 MB of the 5 MB report target.
THUMB_BUDGET = 160_000
REPORT_SCHEMA = 1
# Article colours on the overlay; red is kept for low-confidence lines and the highlight.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
    "#17becf", "#bcbd22", "#3f51b5", "#009688", "#795548", "#ff9800",
)
UNASSIGNED_COLOUR = "#6b6b6b"
_IMAGE_EXTS = ("jpg", "jpeg", "png")


@dataclass(slots=True)
class ReportSummary:
    """The overview figures of a report, and where it was written."""

    edition_id: str
    pages: int
    articles: int
    characters: int
    mean_confidence: float
    low_confidence_share: float
    unmatched_jumps: int
    suspicious_joins: int
    failed_pages: int
    flags: int
    quality_score: float
    low_confidence: float
    html_path: Path | None = None
    json_path: Path | None = None
    html_bytes: int = 0
    seconds: float = 0.0

    def figures(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("html_path", "json_path", "html_bytes", "seconds"):
            d.pop(k)
        return d


# --- thumbnails ----------------------------------------------------------------------------------------

@dataclass(slots=True)
class _Thumb:
    uri: str
    width: int
    height: int
    bytes: int


def find_page_image(edition_dir: Path, number: int) -> Path | None:
    """The page image the pipeline saved (``pages/page-NN.jpg``), or None."""
    for ext in _IMAGE_EXTS:
        p = edition_dir / "pages" / f"page-{number:02d}.{ext}"
        if p.is_file():
            return p
    return None


def thumbnail_file(image: Path, width: int = THUMB_WIDTH) -> Path:
    """Where the report's thumbnail of a page image is kept, made with it (``pages/page-NN.thumb-600.jpg``)."""
    return image.with_name(f"{image.stem}.thumb-{width}.jpg")


def make_thumbnail(image: np.ndarray, width: int = THUMB_WIDTH) -> bytes | None:
    """The report's thumbnail of a page image (gray or BGR), as JPEG bytes; None when it cannot be encoded.

    Made when the page image is saved, from the image itself, and kept beside it (``thumbnail_file``): 2 ms
    a page, where decoding the saved JPEG again for the report takes 8 ms (the entropy decoding of a 2,400 px
    scan, at whatever scale) and, in a thread beside the exports' Python, several times that."""
    import cv2

    try:
        h, w = image.shape[:2]
        if w > width:
            image = cv2.resize(image, (width, max(1, round(width * h / w))), interpolation=cv2.INTER_AREA)
        data = None
        for quality in (THUMB_QUALITY, 55, 40):
            ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if not ok:
                return None
            data = buf.tobytes()
            # Noisy or colour scans compress worse than clean ones: trade quality for the size limit.
            if len(data) <= THUMB_BUDGET:
                break
    except (cv2.error, ValueError) as exc:  # the report makes it from the page image instead, if it can
        log.warning("cannot make the report's thumbnail of a page image: %s", exc)
        return None
    return data


def _as_thumb(data: bytes) -> _Thumb:
    """A thumbnail's JPEG as embedded in the report (its size read from its header)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return _Thumb("data:image/jpeg;base64," + base64.b64encode(data).decode("ascii"), im.width, im.height,
                      len(data))


def _thumbnail(path: Path, width: int = THUMB_WIDTH) -> _Thumb | None:
    from PIL import Image

    try:
        return _as_thumb(thumbnail_file(path, width).read_bytes())
    except FileNotFoundError:
        pass  # made by an older version, or by hand: made from the page image below
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        log.warning("cannot read thumbnail %s for the report (%s); making it from the page image", path, exc)
    try:
        with Image.open(path) as im:
            # JPEG draft mode decodes at 1/2, 1/4 or 1/8 scale directly: a 2400 px scan costs a fraction.
            im.draft("L" if im.mode == "L" else "RGB", (width, max(1, round(width * im.height / im.width))))
            gray = im.mode in ("L", "1", "I;16", "I")
            pixels = np.asarray(im.convert("L" if gray else "RGB"))
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        log.warning("cannot read page image %s for the report: %s", path, exc)
        return None
    # Made as the page image's own is when the page is saved (colour as OpenCV's BGR).
    data = make_thumbnail(pixels if gray else pixels[:, :, ::-1], width)
    return _as_thumb(data) if data is not None else None


# --- view model ----------------------------------------------------------------------------------------

_ANCHOR_SAFE = re.compile(r"[^A-Za-z0-9_-]")


def _anchor(*parts: object) -> str:
    """An HTML id (and URL fragment) from ids that may hold any character; distinct inputs stay distinct."""
    raw = "-".join(str(p) for p in parts)
    safe = _ANCHOR_SAFE.sub("_", raw)
    if safe != raw:
        safe += "-" + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:6]
    return safe


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _severity_class(sev: float) -> str:
    return "sev-high" if sev >= 0.75 else "sev-mid" if sev >= 0.5 else "sev-low"


def _score_class(score: float) -> str:
    return "good" if score >= 0.9 else "warn" if score >= 0.75 else "bad"


def _short(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


class _Builder:
    def __init__(self, edition: Edition, edition_dir: Path, low_confidence: float) -> None:
        self.edition = edition
        self.dir = edition_dir
        self.low = low_confidence
        self.pages_by_number: dict[int, Page] = {}
        for p in edition.pages:
            self.pages_by_number.setdefault(p.number, p)
        self.article_index = {a.id: i for i, a in enumerate(edition.articles)}
        self.articles_by_id = {a.id: a for a in edition.articles}
        self.page_anchor: dict[int, str] = {}
        self.block_anchor: dict[tuple[int, str], str] = {}
        self.line_anchor: dict[tuple[int, str], str] = {}
        self._maps: dict[int, tuple[dict[str, Line], dict[str, Block]]] = {}
        self.confs = LineConfidences()

    def maps(self, page: Page) -> tuple[dict[str, Line], dict[str, Block]]:
        if page.number not in self._maps:
            self._maps[page.number] = (page.line_map(), page.block_map())
        return self._maps[page.number]

    def colour(self, article_id: str | None) -> str:
        i = self.article_index.get(article_id) if article_id is not None else None
        return UNASSIGNED_COLOUR if i is None else PALETTE[i % len(PALETTE)]

    def article_anchor(self, article_id: str | None) -> str | None:
        return _anchor("art", article_id) if article_id in self.articles_by_id else None

    def register_anchors(self) -> None:
        seen: set[str] = set()
        for i, page in enumerate(self.edition.pages):
            a = _anchor("page", page.number)
            if a in seen:  # two pages with the same number (a misread folio): keep both reachable
                a = _anchor("page", page.number, i)
            seen.add(a)
            self.page_anchor.setdefault(page.number, a)
            for b in page.blocks:
                self.block_anchor.setdefault((page.number, b.id), _anchor(a, "b", b.id))

    def flag_target(self, r: ReportFlag) -> str:
        f = r.flag
        if f.page is not None:
            if f.line_id is not None and (f.page, f.line_id) in self.line_anchor:
                return self.line_anchor[(f.page, f.line_id)]
            if f.block_id is not None and (f.page, f.block_id) in self.block_anchor:
                return self.block_anchor[(f.page, f.block_id)]
            if f.page in self.page_anchor:
                return self.page_anchor[f.page]
        return self.article_anchor(r.article_id) or "overview"

    def page_view(self, page: Page, thumb: _Thumb | None, image: Path | None,
                  stats: ConfidenceStats) -> dict[str, Any]:
        n = page.number
        anchor = self.page_anchor.get(n, _anchor("page", n))
        order = {bid: i + 1 for i, bid in enumerate(page.reading_order)}
        # Sized in page pixels so labels keep their size relative to the page at any thumbnail width.
        fs = max(10.0, min(page.width, page.height) / 55.0)
        block_of_line: dict[str, str] = {}
        blocks = []
        legend: dict[str, dict[str, Any]] = {}
        for b in page.blocks:
            for lid in b.line_ids:
                block_of_line[lid] = b.id
            art = self.articles_by_id.get(b.article_id) if b.article_id else None
            x0, y0, x1, y1 = b.bbox
            title = f"{b.id} · {b.kind}"
            if b.id in order:
                title += f" · #{order[b.id]} in reading order"
            if art is not None:
                title += f" · {art.id}: {_short(art.headline, 60) or '(no headline)'}"
            elif b.kind not in ("masthead", "folio"):
                title += " · in no article"
            blocks.append({
                "id": b.id, "anchor": self.block_anchor.get((n, b.id), _anchor(anchor, "b", b.id)),
                "kind": b.kind, "x": _fmt(x0), "y": _fmt(y0), "w": _fmt(max(0.0, x1 - x0)),
                "h": _fmt(max(0.0, y1 - y0)), "colour": self.colour(b.article_id), "article_id": b.article_id,
                "unassigned": art is None and b.kind not in ("masthead", "folio"),
                "title": title, "order": order.get(b.id),
                # On the block's corner, so the label hides as little of the block's text as it can.
                "lx": _fmt(x0), "ly": _fmt(y0),
            })
            if art is not None and art.id not in legend:
                legend[art.id] = {"anchor": self.article_anchor(art.id), "colour": self.colour(art.id),
                                  "id": art.id, "headline": _short(art.headline, 70)}
        lines = []
        for ln in page.lines:
            if not ln.text.strip() or ln.confidence >= self.low:
                continue
            la = _anchor(anchor, "l", ln.id)
            self.line_anchor[(n, ln.id)] = la
            x0, y0, x1, y1 = ln.bbox
            bid = block_of_line.get(ln.id)
            lines.append({"anchor": la, "id": ln.id, "x": _fmt(x0), "y": _fmt(y0), "w": _fmt(max(0.0, x1 - x0)),
                          "h": _fmt(max(0.0, y1 - y0)), "block_anchor": self.block_anchor.get((n, bid)) if bid
                          else None, "title": f"{ln.id} · confidence {ln.confidence:.2f}: {_short(ln.text, 80)}"})
        href = None
        if image is not None:
            href = image.relative_to(self.dir).as_posix()
        return {
            "number": n, "anchor": anchor, "status": page.status, "errors": page.errors, "source": page.source,
            "width": max(1, page.width), "height": max(1, page.height), "thumb": thumb, "href": href,
            "blocks": blocks, "lines": lines, "legend": list(legend.values()), "font": _fmt(fs),
            "radius": _fmt(fs * 0.8),
            "stats": {"blocks": len(page.blocks), "lines": len(page.lines), "characters": stats.characters,
                      "low": stats.low_characters, "mean": stats.mean},
            "flags": [],
        }

    def article_view(self, article: Article) -> dict[str, Any]:
        lines = article_lines(article, self.pages_by_number)
        stats = ConfidenceStats()
        all_lines: list[Line] = []
        for ref in article.blocks:
            page = self.pages_by_number.get(ref.page)
            if page is None or page.status == "failed":
                continue
            lm, bm = self.maps(page)
            blk = bm.get(ref.block_id)
            if blk is not None:
                all_lines.extend(lm[i] for i in blk.line_ids if i in lm)
        for ln in all_lines:
            stats.add_line(ln, self.low, self.confs)
        subheads = set(article.subheads)
        paragraphs = [{"subhead": p in subheads, "segments": segs}
                      for p, segs in zip(article.paragraphs, mark_paragraphs(article.paragraphs, lines, self.low, self.confs),
                                         strict=True)]
        first = article.blocks[0] if article.blocks else None
        return {
            "id": article.id, "anchor": self.article_anchor(article.id), "headline": article.headline,
            "kind": article.kind, "byline": article.byline, "dateline": article.dateline,
            "pages": [{"number": p, "anchor": self.page_anchor.get(p)} for p in article.pages],
            "confidence": article.confidence, "colour": self.colour(article.id),
            "characters": stats.characters, "low": stats.low_characters,
            "first": self.block_anchor.get((first.page, first.block_id)) if first else None,
            "paragraphs": paragraphs, "flags": [],
            "continuation": article.continuation,
        }


@functools.lru_cache(maxsize=1)
def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ocr_pipeline.report", "templates"),
        autoescape=True,  # every value is text from the page: never trust it as markup
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["pct"] = lambda x: f"{100 * x:.1f} %"
    env.filters["conf"] = lambda x: f"{x:.3f}"
    env.filters["sevclass"] = _severity_class
    return env


class Thumbnails:
    """The thumbnails of an edition's page images (``pages/page-NN.jpg``), made in threads from the moment
    this is created: JPEG decoding releases the GIL, so it overlaps whatever Python work comes meanwhile
    (``api.write_edition`` starts them before the exports, which take longer than the decoding)."""

    def __init__(self, edition: Edition, edition_dir: Path, width: int = THUMB_WIDTH, *,
                 threads: int | None = None) -> None:
        self.width = width
        self.images = [find_page_image(Path(edition_dir), p.number) for p in edition.pages]
        self._pool = ThreadPoolExecutor(max_workers=threads or max(1, min(4, os.cpu_count() or 1)))
        self._futures = [self._pool.submit(_thumbnail, im, width) if im is not None else None for im in self.images]

    def results(self) -> list[_Thumb | None]:
        return [f.result() if f is not None else None for f in self._futures]

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


def write_report(edition: Edition, edition_dir: Path, *, low_confidence: float = LOW_CONFIDENCE,
                 thumb_width: int = THUMB_WIDTH, thumbnails: Thumbnails | None = None) -> ReportSummary:
    """Write ``report.html`` and ``report.json`` for ``edition`` into ``edition_dir`` (which holds its
    ``pages/page-NN.jpg`` images, if any), atomically. Returns the overview figures.

    ``thumbnails``: the page images' thumbnails, started earlier by the caller (and closed by it; their
    width is the one used); else they are started here, to overlap the Python work below."""
    start = time.perf_counter()
    edition_dir = Path(edition_dir)
    pending = thumbnails if thumbnails is not None else Thumbnails(edition, edition_dir, thumb_width)
    thumb_width = pending.width
    images = pending.images
    try:
        b = _Builder(edition, edition_dir, low_confidence)
        rflags = collect_flags(edition, low_confidence=low_confidence)
        flags = [r.flag for r in rflags]
        pstats = [page_stats(p, low_confidence, b.confs) for p in edition.pages]
        total = ConfidenceStats()
        for ps in pstats:
            total.add(ps)
        score = quality_score(edition, flags, low_confidence=low_confidence, stats=total)
        summary = ReportSummary(
            edition_id=edition.id,
            pages=len(edition.pages),
            articles=len(edition.articles),
            characters=total.characters,
            mean_confidence=round(total.mean, 4),
            low_confidence_share=round(total.low_share, 4),
            unmatched_jumps=sum(1 for f in flags if f.code in UNMATCHED_CODES),
            suspicious_joins=sum(1 for f in flags if f.code == "join-no-word"),
            failed_pages=sum(1 for p in edition.pages if p.status == "failed"),
            flags=len(flags),
            quality_score=round(score, 4),
            low_confidence=low_confidence,
        )

        b.register_anchors()
        articles = [b.article_view(a) for a in edition.articles]
        thumbs = pending.results()
        pages = [b.page_view(p, t, im, s) for p, t, im, s in zip(edition.pages, thumbs, images, pstats, strict=True)]
    finally:
        if pending is not thumbnails:
            pending.close()
    page_views = {pv["number"]: pv for pv in reversed(pages)}
    art_views = {av["id"]: av for av in articles}
    flag_views = []
    for r in rflags:
        f = r.flag
        fv = {"code": f.code, "message": f.message, "severity": f.severity, "page": f.page,
              "block_id": f.block_id, "line_id": f.line_id, "article_id": r.article_id,
              "target": b.flag_target(r), "article_anchor": b.article_anchor(r.article_id)}
        flag_views.append(fv)
        if f.page in page_views:
            page_views[f.page]["flags"].append(fv)
        if r.article_id in art_views:
            art_views[r.article_id]["flags"].append(fv)
    for av in articles:
        # One chip per flag code (the worst one's place), so ten low lines do not make ten chips.
        chips: dict[str, dict[str, Any]] = {}
        for fv in av["flags"]:
            chip = chips.setdefault(fv["code"], {"code": fv["code"], "count": 0, "severity": fv["severity"],
                                                 "target": fv["target"], "message": fv["message"]})
            chip["count"] += 1
        av["chips"] = list(chips.values())

    html = _environment().get_template("report.html").render(
        edition=edition, summary=summary, score_class=_score_class(score), flags=flag_views, pages=pages,
        articles=articles, version=__version__, thumb_width=thumb_width,
    )
    report = {
        "schema": REPORT_SCHEMA,
        "generator": f"ocr-pipeline {__version__}",
        "edition": {"id": edition.id, "title": edition.title, "date": edition.date, "language": edition.language},
        "summary": summary.figures(),
        "score_formula": "mean character confidence × share of pages not failed × "
                         "max(0.5, 1 − 0.1 × serious flags per page)",
        "pages": [{"number": pv["number"], "status": pv["status"], "errors": pv["errors"],
                   "source": pv["source"], "image": pv["href"], "blocks": pv["stats"]["blocks"],
                   "lines": pv["stats"]["lines"], "characters": pv["stats"]["characters"],
                   "low_confidence_characters": pv["stats"]["low"],
                   "mean_confidence": round(pv["stats"]["mean"], 4), "flags": len(pv["flags"])} for pv in pages],
        "articles": [{"id": av["id"], "headline": av["headline"], "kind": av["kind"],
                      "pages": [p["number"] for p in av["pages"]], "confidence": round(av["confidence"], 4),
                      "characters": av["characters"], "low_confidence_characters": av["low"],
                      "flags": [fv["code"] for fv in av["flags"]]} for av in articles],
        "flags": [{k: fv[k] for k in ("code", "message", "severity", "page", "block_id", "line_id",
                                      "article_id")} for fv in flag_views],
    }
    html_path = edition_dir / "report.html"
    json_path = edition_dir / "report.json"
    try:
        atomic_write_text(html_path, html)
        atomic_write_text(json_path, json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    except OSError as exc:
        raise ExportError(f"cannot write the report: {exc}; check that the folder is writable",
                          path=str(edition_dir)) from exc
    summary.html_path = html_path
    summary.json_path = json_path
    summary.html_bytes = len(html.encode("utf-8"))
    summary.seconds = time.perf_counter() - start
    log.info("report for %s: %d flags, score %.3f, %d bytes in %.2f s", edition.id, len(flags), score,
             summary.html_bytes, summary.seconds)
    return summary


def build_report(edition_dir: Path, *, low_confidence: float = LOW_CONFIDENCE) -> ReportSummary:
    """Rebuild ``report.html`` and ``report.json`` of an edition folder from its ``edition.json``."""
    edition_dir = Path(edition_dir)
    return write_report(load_edition_folder(edition_dir), edition_dir, low_confidence=low_confidence)
