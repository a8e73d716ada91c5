"""The conversion pipeline: ingest -> preprocess -> OCR -> layout -> edition -> export.

A bad page never stops an edition, and a bad edition never stops a run: failures are recorded on the
page (status "failed", errors) and in the run result, and the exit code says that something failed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ocr_pipeline import __version__
from ocr_pipeline.engines import OcrEngine, create_engine
from ocr_pipeline.engines.base import EngineOptions
from ocr_pipeline.errors import EXIT_PARTIAL, OcrPipelineError
from ocr_pipeline.ingest.types import EditionSource, PageSource, TextPage
from ocr_pipeline.model import Block, Edition, Line, Page, ProcessingStep, Separator, bbox_union
from ocr_pipeline.settings import ConvertSettings

log = logging.getLogger(__name__)


@dataclass(slots=True)
class PageTiming:
    load: float = 0.0
    preprocess: float = 0.0
    ocr: float = 0.0
    layout: float = 0.0


@dataclass(slots=True)
class EditionOutcome:
    id: str
    outdir: Path | None
    status: str  # "success" | "partial" | "failure"
    pages_ok: int = 0
    pages_failed: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(slots=True)
class RunResult:
    editions: list[EditionOutcome] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if all(e.status == "success" for e in self.editions) else EXIT_PARTIAL


class Converter:
    """Holds one engine for a whole run (models load once) and converts editions with it."""

    def __init__(self, settings: ConvertSettings) -> None:
        self.settings = settings
        self._engine: OcrEngine | None = None

    @property
    def engine(self) -> OcrEngine:
        if self._engine is None:
            s = self.settings
            options = EngineOptions(
                lang=s.lang, threads=s.threads, device=s.device, model_dir=s.model_dir, extra=dict(s.engine_extra)
            )
            self._engine = create_engine(s.engine, options)
        return self._engine

    # --- one page -------------------------------------------------------------------------------

    def convert_page(self, src: PageSource, number: int, timing: PageTiming | None = None) -> Page:
        """OCR (or read) one page and lay it out. Raises OcrPipelineError subclasses on bad input."""
        timing = timing or PageTiming()
        s = self.settings
        text_page = self._read_text(src)
        if text_page is not None:
            page = _page_from_text(src, number, text_page)
            t = time.perf_counter()
            if not page.blocks:
                _layout_lines(page)
            timing.layout += time.perf_counter() - t
            return page

        from ocr_pipeline.ingest import load_image
        from ocr_pipeline.layout.regions import find_regions
        from ocr_pipeline.preprocess import preprocess

        t = time.perf_counter()
        loaded = load_image(src, dpi=s.dpi, max_pixels=s.max_pixels)
        timing.load += time.perf_counter() - t

        t = time.perf_counter()
        pre = preprocess(loaded.image, deskew=s.deskew, orientation=s.orientation, normalize=s.normalize)
        timing.preprocess += time.perf_counter() - t

        t = time.perf_counter()
        found = find_regions(pre.image)
        timing.layout += time.perf_counter() - t

        t = time.perf_counter()
        try:
            lines = self.engine.recognize(pre.image, regions=found.regions)
        except OcrPipelineError:
            raise
        except Exception as exc:  # an engine crash is a page failure, not a run failure
            from ocr_pipeline.errors import EngineError

            raise EngineError(f"OCR engine {s.engine} failed: {exc}", path=str(src.path)) from exc
        timing.ocr += time.perf_counter() - t

        h, w = pre.image.shape[:2]
        page = Page(
            number=number,
            source=src.path.name,
            width=int(w),
            height=int(h),
            dpi=loaded.dpi or float(s.dpi),
            source_index=src.index,
            rotation=pre.rotation,
            skew=round(float(pre.skew), 3),
            provenance=[*pre.steps, self.engine.provenance()],
        )
        for i, ln in enumerate(lines, 1):
            ln.id = f"l{i:04d}"
        page.lines = lines
        page.separators = [Separator(id=f"s{i:03d}", kind=r.kind, bbox=r.bbox) for i, r in enumerate(found.rules, 1)]
        t = time.perf_counter()
        _layout_lines(page, regions=found.regions)
        timing.layout += time.perf_counter() - t
        return page

    def _read_text(self, src: PageSource) -> TextPage | None:
        s = self.settings
        if src.kind == "alto":
            from ocr_pipeline.ingest import read_alto

            return read_alto(src.path)
        if src.kind == "page":
            from ocr_pipeline.ingest import read_page

            return read_page(src.path)
        if src.kind == "pdf" and (s.engine == "pdf-text" or s.use_text_layer):
            from ocr_pipeline.ingest import read_text_layer

            text = read_text_layer(src, dpi=s.dpi)
            if text is None and s.engine == "pdf-text":
                from ocr_pipeline.errors import BadInputError

                raise BadInputError(
                    "this PDF page has no text layer; convert it with an OCR engine (--engine ppocr)",
                    path=str(src.path),
                )
            return text
        if s.engine == "import":
            from ocr_pipeline.errors import BadInputError

            raise BadInputError("--engine import needs ALTO or PAGE XML files as input", path=str(src.path))
        return None

    # --- one edition ----------------------------------------------------------------------------

    def convert_edition(
        self, esrc: EditionSource, progress: Callable[[PageSource, Page], None] | None = None
    ) -> Edition:
        s = self.settings
        edition = Edition(id=esrc.id, language=s.lang)
        edition.provenance.append(
            ProcessingStep(stage="convert", name="ocr-pipeline", version=__version__, settings=s.to_dict())
        )
        for number, src in enumerate(esrc.pages, 1):
            try:
                page = self.convert_page(src, number)
            except OcrPipelineError as exc:
                log.warning("%s", exc)
                page = Page(number=number, source=src.path.name, width=0, height=0, source_index=src.index,
                            status="failed", errors=[str(exc)])
            except MemoryError:
                page = Page(number=number, source=src.path.name, width=0, height=0, source_index=src.index,
                            status="failed", errors=[f"{src.path}: out of memory reading this page"])
            edition.pages.append(page)
            if progress:
                progress(src, page)
        return edition


def _page_from_text(src: PageSource, number: int, tp: TextPage) -> Page:
    return Page(
        number=number,
        source=(src.image_path or src.path).name,
        width=int(tp.width),
        height=int(tp.height),
        dpi=tp.dpi,
        source_index=src.index,
        lines=tp.lines,
        blocks=tp.blocks,
        separators=tp.separators,
        reading_order=tp.reading_order or [b.id for b in tp.blocks],
        provenance=list(tp.provenance),
    )


def _layout_lines(page: Page, regions: list[tuple[float, float, float, float]] | None = None) -> None:
    """Interim layout: one text block per region (lines assigned by their centre), in region order.

    The layout stage (blocks, kinds, reading order, articles) replaces this; it only guarantees that text
    is never read across a column gap.
    """
    if regions is None:
        from ocr_pipeline.layout.regions import find_regions_from_lines

        regions = find_regions_from_lines(page.lines, page.width, page.height)
    buckets: list[list[Line]] = [[] for _ in regions]
    leftovers: list[Line] = []
    for ln in page.lines:
        cx, cy = (ln.bbox[0] + ln.bbox[2]) / 2, (ln.bbox[1] + ln.bbox[3]) / 2
        for i, r in enumerate(regions):
            if r[0] <= cx <= r[2] and r[1] <= cy <= r[3]:
                buckets[i].append(ln)
                break
        else:
            leftovers.append(ln)
    if leftovers:
        buckets.append(leftovers)
    page.blocks = []
    ordered: list[Line] = []
    for lines in buckets:
        if not lines:
            continue
        lines.sort(key=lambda ln: (ln.bbox[1], ln.bbox[0]))
        ordered.extend(lines)
        page.blocks.append(
            Block(id=f"b{len(page.blocks) + 1:03d}", kind="text", bbox=bbox_union(ln.bbox for ln in lines),
                  line_ids=[ln.id for ln in lines])
        )
    page.lines = ordered
    page.reading_order = [b.id for b in page.blocks]


def page_text(page: Page, script: str) -> list[str]:
    """The text of each block of a page in reading order (lines joined by the script's rule)."""
    lines = page.line_map()
    blocks = page.block_map()
    out = []
    for bid in page.reading_order:
        b = blocks.get(bid)
        if b is None:
            continue
        texts = [lines[i].text for i in b.line_ids if i in lines and lines[i].text.strip()]
        if texts:
            out.append(_join_lines(texts, script))
    return out


def _join_lines(texts: Iterable[str], script: str) -> str:
    try:
        from ocr_pipeline.text.join import join_text
    except ImportError:  # the text stage is optional for this interim output
        join_text = None
    lang = "zh" if script == "cjk" else "en"
    result = ""
    for t in texts:
        t = t.strip()
        if not result:
            result = t
        elif join_text is not None:
            result = join_text(result, t, lang)
        else:
            result = result + t if script == "cjk" else f"{result} {t}"
    return result
