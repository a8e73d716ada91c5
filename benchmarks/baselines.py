"""Baselines to beat (issue 3): naive whole-page OCR of the committed scanned samples, scored by ``evaluate``.

    python benchmarks/baselines.py                                  # ppocr + tesseract, all editions
    python benchmarks/baselines.py --systems ppocr,tesseract,toolkit --json baselines.json
    python benchmarks/baselines.py --editions zh-daily-1 --systems ppocr --show 200

Systems:

- ``ppocr``: ``create_engine("ppocr").recognize(image)`` on the whole page (``regions=None``), the same
  PP-OCRv4 models and detection settings as the toolkit, but the models as shipped and recognition as
  PaddleOCR does it (``PPOCR_REFERENCE``: line images at their own aspect ratio, batches padded to 320 px);
  lines sorted top to bottom, then left to right.
- ``tesseract``: ``TesseractEngine`` with ``--psm 3`` (automatic page segmentation) on the whole page, lines
  in Tesseract's own order (block, paragraph, line).
- ``toolkit``: ``ocr_pipeline.api.convert`` with default settings (only ``lang`` set from the truth) on the
  scanned folder; its edition.json is scored the same way.

What a naive user gets, and so what the baselines get: the page as loaded by ``ingest.load_image`` turned
to grayscale and nothing else (no deskew, no quarter turn: one page per edition is rotated 90° and is
OCRed as it lies; no contrast normalisation). Each page becomes ONE article with an empty headline and one
paragraph, the page's lines joined (no separator for Chinese, a space otherwise; no de-hyphenation), and
its lines are kept on the page as one block per line (kind "text") with the reading order in the system's
order, so that page-text CER and reading order are scored too. Page numbers follow the file order.

Timing: wall seconds per page for OCR only (``recognize``), with models loaded beforehand; ``all s/pg``
adds image loading and, for the toolkit, every other stage of ``convert`` (preprocess, layout, editions,
exports, report). Both engines get ``--threads`` (default: all CPUs).

Reading the figures (columns bodyCER, pageCER, flatCER, hlCER, matched, paraF1, linkP/R, order):

- bodyCER is ``evaluate``'s: per truth article, an article without a partner counts as entirely lost, and
  a truth article paired with a whole page (status "merged") is charged the edit distance to the whole
  page's text, so a page-per-article baseline can score above 100 % there by construction.
- pageCER is ``evaluate``'s page text CER: all text of a page, blocks in the predicted reading order, one
  line break between blocks. One block per line pays one edit per printed line that the truth keeps
  inside a block (a few per cent on short CJK column lines).
- flatCER (this script's) is the same comparison with blocks and lines joined by spaces on both sides,
  which removes that grouping penalty: it measures characters and their order only.
- order is ``evaluate``'s mean reading-order edit distance. On the page rotated 90° the boxes do not line up
  with the truth's regions, so that page's figure says little about order.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import json
import logging
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_pipeline.engines.ppocr import reading_order  # noqa: E402
from ocr_pipeline.evaluate import Report, evaluate  # noqa: E402
from ocr_pipeline.evaluate.normalize import normalize_text  # noqa: E402
from ocr_pipeline.evaluate.textmetrics import PRF  # noqa: E402
from ocr_pipeline.model import Article, Block, BlockRef, Edition, Line, Page, ProcessingStep  # noqa: E402
from ocr_pipeline.model import load as load_edition  # noqa: E402

log = logging.getLogger(__name__)

# PaddleOCR's own recognition input: no horizontal squeeze, every batch at least 320 px wide; and the models
# as shipped (no folding of their graphs, which is this toolkit's own work).
PPOCR_REFERENCE: dict[str, Any] = {"rec_width_scale": 1.0, "rec_min_width": 320, "fold_affine": False}

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
SYSTEMS = ("ppocr", "tesseract", "toolkit")
DEFAULT_SYSTEMS = ("ppocr", "tesseract")


# --- the naive edition ---------------------------------------------------------------------------------

@dataclass(slots=True)
class OcrPage:
    """One page as a naive system read it: lines in the system's reading order."""

    number: int
    source: str
    width: int
    height: int
    lines: list[Line] = field(default_factory=list)
    ocr_seconds: float = 0.0
    load_seconds: float = 0.0


def join_lines(texts: Sequence[str], language: str) -> str:
    """Lines joined as a naive copy would join them: nothing between CJK lines, a space between others."""
    parts = [t.strip() for t in texts if t.strip()]
    return ("" if _is_cjk_language(language) else " ").join(parts)


def _is_cjk_language(language: str) -> bool:
    return language.lower().replace("_", "-").split("-")[0] in ("zh", "ja", "ko")


def naive_edition(edition_id: str, language: str, pages: Sequence[OcrPage], system: str) -> Edition:
    """An Edition with one article per page (empty headline, the page's lines joined as one paragraph) and,
    on each page, one block per line with the reading order in the order the lines are given."""
    edition = Edition(id=edition_id, language=language)
    edition.provenance.append(ProcessingStep(stage="baseline", name=system, settings={"naive": True}))
    for op in pages:
        page = Page(number=op.number, source=op.source, width=op.width, height=op.height)
        refs: list[BlockRef] = []
        for k, ln in enumerate(op.lines, 1):
            line = Line(id=f"p{op.number}-l{k:04d}", bbox=ln.bbox, text=ln.text, confidence=ln.confidence,
                        polygon=ln.polygon)
            block = Block(id=f"p{op.number}-b{k:04d}", kind="text", bbox=ln.bbox, line_ids=[line.id],
                          article_id=f"{system}-p{op.number}")
            page.lines.append(line)
            page.blocks.append(block)
            page.reading_order.append(block.id)
            refs.append(BlockRef(op.number, block.id))
        edition.pages.append(page)
        body = join_lines([ln.text for ln in op.lines], language)
        edition.articles.append(
            Article(id=f"{system}-p{op.number}", paragraphs=[body] if body else [], pages=[op.number], blocks=refs)
        )
    return edition


def flat_page_text(page: Page) -> str:
    """All text of a page in its reading order, blocks and lines joined by a space, normalised.

    ``evaluate``'s page text keeps a line break between blocks, so a prediction with one block per line
    pays one edit per printed line against a truth that has several lines per block; this flat text does
    not depend on how lines are grouped into blocks and so measures the characters and their order only.
    """
    lines = page.line_map()
    blocks = page.block_map()
    order = page.reading_order or [b.id for b in page.blocks]
    parts = [" ".join(lines[i].text for i in blocks[bid].line_ids if i in lines) for bid in order if bid in blocks]
    return normalize_text(" ".join(parts))


def flat_distance(truth: Edition, pred: Edition) -> tuple[int, int]:
    """(characters, edit distance) of the flat page texts, pages paired by number (a missing page: all lost)."""
    from rapidfuzz.distance import Levenshtein

    chars = dist = 0
    for tp in truth.pages:
        gt = flat_page_text(tp)
        pp = next((p for p in pred.pages if p.number == tp.number), None)
        chars += len(gt)
        dist += Levenshtein.distance(gt, flat_page_text(pp)) if pp is not None else len(gt)
    return chars, dist


# --- running the naive systems ------------------------------------------------------------------------

def _pages_of(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".tif", ".tiff"))


def _gray(image: Any) -> Any:
    import cv2

    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image


def ocr_folder(system: str, folder: Path, language: str, threads: int | None) -> list[OcrPage]:
    """Whole-page OCR of every image in ``folder`` with ``system`` ("ppocr" or "tesseract"), no preprocessing."""
    import numpy as np

    from ocr_pipeline.engines import EngineOptions, create_engine
    from ocr_pipeline.ingest import load_image
    from ocr_pipeline.ingest.types import PageSource

    extra: dict[str, Any] = {"psm": 3} if system == "tesseract" else dict(PPOCR_REFERENCE)
    engine = create_engine(system, EngineOptions(lang=language, threads=threads, extra=extra))
    # Model loading is paid once per run, not per page: load it on a blank image before timing.
    engine.recognize(np.full((64, 64), 255, dtype=np.uint8))
    out: list[OcrPage] = []
    for number, path in enumerate(_pages_of(folder), 1):
        t = time.perf_counter()
        image = _gray(load_image(PageSource(path)).image)
        loaded = time.perf_counter() - t
        t = time.perf_counter()
        lines = engine.recognize(image, regions=None)
        seconds = time.perf_counter() - t
        if system == "ppocr":
            lines = [lines[i] for i in reading_order([ln.bbox for ln in lines])]
        h, w = image.shape[:2]
        out.append(OcrPage(number, path.name, int(w), int(h), lines, seconds, loaded))
        log.info("%s %s: %d lines in %.1f s", system, path, len(lines), seconds)
    return out


@contextlib.contextmanager
def _time_recognize(engine_name: str) -> Iterator[list[float]]:
    """Seconds of every ``recognize`` call of an engine class while inside the block.

    ``convert`` builds its engine internally; wrapping the class's method is the only way to separate
    the OCR time from the other stages without changing the pipeline.
    """
    from ocr_pipeline.engines import engine_class

    cls = engine_class(engine_name)
    original = cls.recognize
    calls: list[float] = []

    def timed(self: Any, image: Any, *, regions: Any = None) -> list[Line]:
        t = time.perf_counter()
        try:
            return original(self, image, regions=regions)
        finally:
            calls.append(time.perf_counter() - t)

    cls.recognize = timed  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        cls.recognize = original  # type: ignore[method-assign]


def run_toolkit(folder: Path, language: str, threads: int | None, outdir: Path) -> tuple[Edition, float, float]:
    """``convert`` the folder with default settings; returns the edition, OCR seconds and total seconds."""
    from ocr_pipeline.api import ConvertSettings, convert
    from ocr_pipeline.batch import BatchOptions

    settings = ConvertSettings(lang=language, threads=threads)
    t = time.perf_counter()
    with _time_recognize(settings.engine) as calls:
        # force: a benchmark must OCR every page, not take them from an earlier run's cache.
        result = convert([folder], outdir, settings, batch=BatchOptions(force=True))
    total = time.perf_counter() - t
    outcome = result.editions[0]
    if outcome.outdir is None:
        raise RuntimeError(f"toolkit convert failed: {'; '.join(outcome.errors)}")
    if outcome.errors:
        log.warning("toolkit convert %s: %s", outcome.status, "; ".join(outcome.errors))
    # The first call loads the models; like the baselines, a run pays that once.
    return load_edition(outcome.outdir / "edition.json"), sum(calls), total


# --- figures -------------------------------------------------------------------------------------------

@dataclass(slots=True)
class Row:
    system: str
    edition: str
    pages: int
    ocr_seconds: float
    all_seconds: float
    truth_articles: int = 0
    matched: int = 0
    body_chars: int = 0
    body_distance: int = 0
    headline_chars: int = 0
    headline_distance: int = 0
    text_chars: int = 0
    text_distance: int = 0
    flat_chars: int = 0
    flat_distance: int = 0
    order_distances: list[float] = field(default_factory=list)
    paragraphs: PRF = field(default_factory=PRF)
    links: PRF = field(default_factory=PRF)
    report: dict[str, Any] | None = None

    @classmethod
    def from_report(cls, system: str, edition: str, pages: int, ocr_s: float, all_s: float, rep: Report,
                    flat: tuple[int, int] = (0, 0)) -> Row:
        hl = [a for a in rep.articles if a.headline_distance is not None and a.headline_chars]
        text_pages = [p for p in rep.pages if p.text_distance is not None and p.text_chars]
        return cls(
            system, edition, pages, ocr_s, all_s,
            truth_articles=len(rep.articles),
            matched=rep.count("matched"),
            body_chars=rep.body_chars,
            body_distance=rep.body_distance,
            headline_chars=sum(a.headline_chars for a in hl),
            headline_distance=sum(a.headline_distance or 0 for a in hl),
            text_chars=sum(p.text_chars for p in text_pages),
            text_distance=sum(p.text_distance or 0 for p in text_pages),
            flat_chars=flat[0],
            flat_distance=flat[1],
            order_distances=[p.order_distance for p in rep.pages if p.order_distance is not None],
            paragraphs=rep.paragraphs,
            links=rep.links,
            report=rep.to_dict(),
        )

    @classmethod
    def total(cls, system: str, rows: Sequence[Row]) -> Row:
        out = cls(system, "ALL", sum(r.pages for r in rows), sum(r.ocr_seconds for r in rows),
                  sum(r.all_seconds for r in rows))
        for r in rows:
            for name in ("truth_articles", "matched", "body_chars", "body_distance", "headline_chars",
                         "headline_distance", "text_chars", "text_distance", "flat_chars", "flat_distance"):
                setattr(out, name, getattr(out, name) + getattr(r, name))
            out.order_distances += r.order_distances
            out.paragraphs.add(r.paragraphs)
            out.links.add(r.links)
        return out

    # Where a headline was never compared (no article matched) the headline CER is undefined, not 0.
    @property
    def body_cer(self) -> float | None:
        return self.body_distance / self.body_chars if self.body_chars else None

    @property
    def headline_cer(self) -> float | None:
        return self.headline_distance / self.headline_chars if self.headline_chars else None

    @property
    def page_text_cer(self) -> float | None:
        return self.text_distance / self.text_chars if self.text_chars else None

    @property
    def flat_cer(self) -> float | None:
        return self.flat_distance / self.flat_chars if self.flat_chars else None

    @property
    def order_distance(self) -> float | None:
        return sum(self.order_distances) / len(self.order_distances) if self.order_distances else None

    def figures(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "edition": self.edition,
            "pages": self.pages,
            "ocr_seconds_per_page": self.ocr_seconds / self.pages if self.pages else None,
            "all_seconds_per_page": self.all_seconds / self.pages if self.pages else None,
            "body_cer": self.body_cer,
            "body_chars": self.body_chars,
            "body_distance": self.body_distance,
            "page_text_cer": self.page_text_cer,
            "page_text_chars": self.text_chars,
            "page_text_distance": self.text_distance,
            "flat_page_cer": self.flat_cer,
            "flat_page_chars": self.flat_chars,
            "flat_page_distance": self.flat_distance,
            "headline_cer": self.headline_cer,
            "matched": self.matched,
            "truth_articles": self.truth_articles,
            "paragraph_boundaries": self.paragraphs.to_dict(),
            "continuation_links": self.links.to_dict(),
            "reading_order_distance": self.order_distance,
        }

    def line(self) -> str:
        def pct(v: float | None) -> str:
            return "-" if v is None else f"{100 * v:.1f}%"

        def num(v: float | None) -> str:
            return "-" if v is None else f"{v:.3f}"

        per = self.ocr_seconds / self.pages if self.pages else 0.0
        per_all = self.all_seconds / self.pages if self.pages else 0.0
        return (
            f"{self.system:<10} {self.edition:<11} {self.pages:>5} {per:>8.1f} {per_all:>8.1f} "
            f"{pct(self.body_cer):>8} {pct(self.page_text_cer):>8} {pct(self.flat_cer):>8} {pct(self.headline_cer):>7} "
            f"{f'{self.matched}/{self.truth_articles}':>7} {num(self.paragraphs.f1):>7} "
            f"{num(self.links.precision):>6} {num(self.links.recall):>6} {num(self.order_distance):>6}"
        )


HEADER = (
    f"{'system':<10} {'edition':<11} {'pages':>5} {'ocr s/pg':>8} {'all s/pg':>8} {'bodyCER':>8} "
    f"{'pageCER':>8} {'flatCER':>8} {'hlCER':>7} {'matched':>7} {'paraF1':>7} {'linkP':>6} {'linkR':>6} {'order':>6}"
)


# --- main ----------------------------------------------------------------------------------------------

def _machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform()}


def _parse_list(value: str, allowed: Sequence[str] | None, what: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if allowed is not None:
        bad = [v for v in items if v not in allowed]
        if bad:
            raise SystemExit(f"unknown {what}: {', '.join(bad)}; choose from {', '.join(allowed)}")
    return items


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--systems", default=",".join(DEFAULT_SYSTEMS), help=f"comma list of {', '.join(SYSTEMS)}")
    ap.add_argument("--editions", default="", help="comma list of edition folders under --samples (default: all)")
    ap.add_argument("--samples", type=Path, default=SAMPLES, help="folder holding <edition>/truth.json + scanned/")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="engine threads (default: all CPUs)")
    ap.add_argument("--json", type=Path, help="write every figure (and the evaluate reports) to this file")
    ap.add_argument("--toolkit-out", type=Path, help="keep the toolkit's outputs here (default: a temp folder)")
    ap.add_argument("--show", type=int, default=0, metavar="N",
                    help="print the first N characters of each naive page's text beside the truth's")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")

    systems = _parse_list(args.systems, SYSTEMS, "system")
    available = sorted(p.name for p in args.samples.iterdir() if (p / "truth.json").is_file() and (p / "scanned").is_dir())
    editions = _parse_list(args.editions, available, "edition") if args.editions else available
    started = _dt.datetime.now().astimezone()

    rows: dict[str, list[Row]] = {s: [] for s in systems}
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory(prefix="baselines-") as tmp:
        toolkit_out = args.toolkit_out or Path(tmp)
        for system in systems:
            for name in editions:
                folder = args.samples / name
                truth = load_edition(folder / "truth.json")
                lang = truth.language or "zh"
                if system == "toolkit":
                    try:
                        pred, ocr_s, all_s = run_toolkit(folder / "scanned", lang, args.threads, toolkit_out / name)
                    except Exception as exc:  # one failing edition must not hide the others' figures
                        print(f"{system:<10} {name:<11} failed: {exc}", flush=True)
                        continue
                    npages = len(pred.pages)
                else:
                    t = time.perf_counter()
                    pages = ocr_folder(system, folder / "scanned", lang, args.threads)
                    all_s = time.perf_counter() - t
                    ocr_s = sum(p.ocr_seconds for p in pages)
                    pred = naive_edition(truth.id, lang, pages, system)
                    npages = len(pages)
                    if args.show:
                        for op, tp in zip(pred.pages, truth.pages, strict=False):
                            got = normalize_text(pred.articles[op.number - 1].paragraphs[0]
                                                 if pred.articles[op.number - 1].paragraphs else "")
                            print(f"  [{system} {name} p{op.number}] {got[:args.show]!r}")
                            print(f"  [truth {name} p{tp.number}] {flat_page_text(tp)[:args.show]!r}")
                row = Row.from_report(system, name, npages, ocr_s, all_s, evaluate(truth, pred),
                                      flat_distance(truth, pred))
                rows[system].append(row)
                print(row.line(), flush=True)
        for system in systems:
            if rows[system]:
                print(Row.total(system, rows[system]).line(), flush=True)

    if args.json:
        data = {
            "date": started.isoformat(timespec="seconds"),
            "machine": _machine(),
            "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
            "threads": args.threads,
            "rows": [r.figures() | {"evaluate": r.report} for s in systems for r in rows[s]],
            "overall": [Row.total(s, rows[s]).figures() for s in systems if rows[s]],
        }
        args.json.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
