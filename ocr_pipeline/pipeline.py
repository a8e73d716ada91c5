"""The conversion pipeline: ingest -> preprocess -> OCR -> layout -> edition -> export.

A bad page never stops an edition, and a bad edition never stops a run: failures are recorded on the
page (status "failed", errors) and in the run result, and the exit code says that something failed.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ocr_pipeline import __version__
from ocr_pipeline.engines import OcrEngine, create_engine
from ocr_pipeline.engines.base import EngineOptions
from ocr_pipeline.errors import EXIT_PARTIAL, BadInputError, EngineError, OcrPipelineError
from ocr_pipeline.ingest.types import EditionSource, PageSource, TextPage
from ocr_pipeline.model import Edition, Page, ProcessingStep, Separator
from ocr_pipeline.settings import ConvertSettings

if TYPE_CHECKING:
    import numpy as np

    from ocr_pipeline.layout.articles import PageArticle

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
    quality: float = 0.0  # the report's quality score, 0..1


@dataclass(slots=True)
class RunResult:
    editions: list[EditionOutcome] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if all(e.status == "success" for e in self.editions) else EXIT_PARTIAL


@dataclass(slots=True)
class PageResult:
    page: Page
    articles: list[PageArticle] = field(default_factory=list)
    image: np.ndarray | None = None  # the upright, straightened image the coordinates refer to


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

    def convert_page(self, src: PageSource, number: int, timing: PageTiming | None = None) -> PageResult:
        """OCR (or read) one page and lay it out. Raises OcrPipelineError subclasses on bad input."""
        from ocr_pipeline.layout import analyze_page

        timing = timing or PageTiming()
        s = self.settings
        text_page = self._read_text(src)
        if text_page is not None:
            page = _page_from_text(src, number, text_page)
            image = self._image_beside(src)
            t = time.perf_counter()
            articles = analyze_page(page, image=image, merge_rows=False, profile=s.layout)
            timing.layout += time.perf_counter() - t
            return PageResult(page, articles, image)

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
        articles = analyze_page(page, image=pre.image, regions=found.regions, photos=found.photos,
                                columns=found.columns, profile=s.layout)
        timing.layout += time.perf_counter() - t
        return PageResult(page, articles, pre.image)

    def convert_page_safely(self, src: PageSource, number: int) -> PageResult:
        """``convert_page`` that never raises: a page that cannot be converted comes back as a failed
        page (status "failed") with the reason, so that nothing on one page stops an edition or a run."""
        try:
            return self.convert_page(src, number)
        except OcrPipelineError as exc:
            log.warning("%s", exc)
            return PageResult(failed_page(src, number, str(exc)))
        except MemoryError:
            return PageResult(failed_page(src, number, f"{src.path}: out of memory reading this page"))
        except Exception as exc:  # the error is kept on the page and in the report
            log.exception("page %s failed", src.label)
            return PageResult(failed_page(src, number, f"{src.path}: internal error: {exc!r}"))

    def _read_text(self, src: PageSource) -> TextPage | None:
        s = self.settings
        if src.kind in ("alto", "page") or (src.kind == "pdf" and (s.engine == "pdf-text" or s.use_text_layer)):
            from ocr_pipeline.ingest import read_text_source

            text = read_text_source(src, dpi=s.dpi)
            if text is None and s.engine == "pdf-text":
                raise BadInputError(
                    "this PDF page has no text layer; convert it with an OCR engine (--engine ppocr)",
                    path=str(src.path),
                )
            return text
        if s.engine == "import":
            raise BadInputError("--engine import needs ALTO or PAGE XML files as input", path=str(src.path))
        return None

    def _image_beside(self, src: PageSource) -> np.ndarray | None:
        """The page image of an imported OCR file, when it sits beside it (for photos and the report)."""
        if src.image_path is None:
            return None
        from ocr_pipeline.ingest import load_image

        try:
            # Loading through the text source keeps the image aligned with its coordinates (no EXIF turn).
            img = load_image(src, dpi=self.settings.dpi, max_pixels=self.settings.max_pixels).image
        except OcrPipelineError as exc:
            log.warning("image beside %s not usable: %s", src.path, exc)
            return None
        import cv2

        return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img

    # --- one edition ----------------------------------------------------------------------------

    def convert_edition(
        self,
        esrc: EditionSource,
        progress: Callable[[PageSource, Page], None] | None = None,
        page_sink: Callable[[PageResult], None] | None = None,
    ) -> Edition:
        """Convert every page, then build the edition's articles and link continuations across pages.

        ``page_sink`` receives each page's result as soon as it is done (e.g. to save its image)."""
        s = self.settings
        edition = Edition(id=esrc.id, language=s.lang)
        edition.provenance.append(
            ProcessingStep(stage="convert", name="ocr-pipeline", version=__version__, settings=s.to_dict())
        )
        results: list[PageResult] = []
        for number, src in enumerate(esrc.pages, 1):
            res = self.convert_page_safely(src, number)
            results.append(res)
            edition.pages.append(res.page)
            if page_sink:
                page_sink(res)
            if progress:
                progress(src, res.page)
            res.image = None  # saved by the sink; do not hold every page in memory
        assemble_edition(edition, results, s.lang, s.layout)
        return edition


def failed_page(src: PageSource, number: int, message: str) -> Page:
    """The record of a page that could not be converted."""
    return Page(number=number, source=src.path.name, width=0, height=0, source_index=src.index,
                status="failed", errors=[message])


def assemble_edition(edition: Edition, results: list[PageResult], lang: str, profile: str = "generic") -> None:
    """Articles of every page, composed into text and linked across pages by their jump lines."""
    from ocr_pipeline.edition import link_continuations
    from ocr_pipeline.layout.compose import compose_article

    articles = []
    for res in results:
        for i, pa in enumerate(res.articles, 1):
            articles.append(compose_article(res.page, pa, f"p{res.page.number:02d}-a{i:02d}", lang))
    edition.articles = articles
    _edition_metadata(edition)
    link_continuations(edition, profile, lang=lang)


_DATE_ZH = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DATE_EN = re.compile(
    r"(January|February|March|April|May|June|July|August|September|October|November|December)\s+(\d{1,2}),?\s+(\d{4})"
)
_MONTHS = ("january february march april may june july august september october november december").split()


def _edition_metadata(edition: Edition) -> None:
    """Title from the masthead (the row of its largest type, left to right), date from the first date
    printed in a masthead or folio."""
    for page in edition.pages:
        lm = page.line_map()
        heads = [ln for b in page.blocks if b.kind == "masthead" for ln in (lm.get(i) for i in b.line_ids) if ln]
        if heads and not edition.title:
            top = max(heads, key=lambda ln: ln.bbox[3] - ln.bbox[1])
            tall = 0.5 * (top.bbox[3] - top.bbox[1])
            title = [ln for ln in heads if top.bbox[1] <= (ln.bbox[1] + ln.bbox[3]) / 2 <= top.bbox[3]
                     and ln.bbox[3] - ln.bbox[1] >= tall]  # not the dates and issue number set beside it
            title.sort(key=lambda ln: ln.bbox[0])
            sep = "" if edition.language.split("-")[0] in ("zh", "ja", "ko") else " "
            edition.title = sep.join(ln.text.strip() for ln in title)
        for b in page.blocks:
            if b.kind not in ("masthead", "folio") or edition.date:
                continue
            text = " ".join(lm[i].text for i in b.line_ids if i in lm)
            m = _DATE_ZH.search(text)
            if m:
                edition.date = f"{int(m[1]):04d}-{int(m[2]):02d}-{int(m[3]):02d}"
            m2 = _DATE_EN.search(text)
            if m2 and not edition.date:
                month = _MONTHS.index(m2[1].lower()) + 1
                edition.date = f"{int(m2[3]):04d}-{month:02d}-{int(m2[2]):02d}"


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
