"""The conversion pipeline: ingest -> preprocess -> OCR -> layout -> edition -> export.

A bad page never stops an edition, and a bad edition never stops a run: failures are recorded on the
page (status "failed", errors) and in the run result, and the exit code says that something failed.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ocr_pipeline import __version__
from ocr_pipeline.engines import OcrEngine, create_engine
from ocr_pipeline.engines.base import EngineOptions
from ocr_pipeline.errors import EXIT_PARTIAL, BadInputError, EngineError, OcrPipelineError
from ocr_pipeline.ingest.types import UNMAPPED, EditionSource, PageImage, PageSource, TextPage
from ocr_pipeline.model import Char, Edition, Line, Page, ProcessingStep, Separator
from ocr_pipeline.settings import ConvertSettings
from ocr_pipeline.util.threads import ProcessPool

if TYPE_CHECKING:
    import numpy as np

    from ocr_pipeline.layout.articles import PageArticle
    from ocr_pipeline.layout.regions import RegionResult

log = logging.getLogger(__name__)
T = TypeVar("T")


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
    # ``image`` as a JPEG, being encoded in the helper thread (Converter's ``page_images``), or None.
    jpeg: Future[bytes | None] | None = None
    # The report's thumbnail of ``image``, made in the helper thread after the JPEG (``make_thumbnail``).
    thumbnail: Future[bytes | None] | None = None


class Converter:
    """Holds one engine for a whole run (models load once) and converts editions with it."""

    def __init__(self, settings: ConvertSettings, *, page_images: bool = False) -> None:
        """``page_images``: the caller saves each page's image (``api.save_page_image``), so it is encoded in
        the helper thread while the page is laid out (``PageResult.jpeg``), and its thumbnail made there too."""
        self.settings = settings
        self.page_images = page_images
        self._engine: OcrEngine | None = None
        # The next page's image, being decoded in the helper thread (``convert_page``'s ``next_src``).
        self._prefetched: tuple[PageSource, Future[PageImage]] | None = None
        # The next PDF page drawn for layout, its regions under way in the helper thread.
        self._drawn_next: tuple[PageSource, _PdfDrawing | None] | None = None

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

    def convert_page(self, src: PageSource, number: int, timing: PageTiming | None = None, *,
                     next_src: PageSource | None = None) -> PageResult:
        """OCR (or read) one page and lay it out. Raises OcrPipelineError subclasses on bad input.

        ``next_src``: the page to be converted next, when the caller knows it: an image file is decoded in the
        helper thread while this page is laid out (the decoder does not hold the interpreter), and a PDF page
        read from its text layer is drawn and its regions started, to be ready when its text has been read."""
        from ocr_pipeline.layout import analyze_page

        timing = timing or PageTiming()
        s = self.settings
        # A PDF page read from its text layer is laid out with the page drawn: the drawing's regions are
        # found in a thread while this one reads the text layer (PDFium, one call at a time, draws first).
        drawing = None
        if self._wants_text_layer(src):
            drawn, self._drawn_next = self._drawn_next, None
            drawing = drawn[1] if drawn is not None and drawn[0] == src else _draw_for_layout(src)
        text_page = self._read_text(src)
        if text_page is not None:
            page = _page_from_text(src, number, text_page)
            if src.kind == "pdf":
                if any(UNMAPPED in ln.text for ln in page.lines):
                    t = time.perf_counter()
                    self._ocr_unmapped(src, page)
                    timing.ocr += time.perf_counter() - t
                if next_src is not None and self._wants_text_layer(next_src):
                    # This page is done with PDFium: the next one is drawn now, and its regions are found in
                    # the helper thread while this page is laid out and the next one's text is read. Started
                    # with the next page itself, they kept it waiting 21 ms of its 86: the Python code of the
                    # two threads takes turns on one interpreter.
                    self._drawn_next = (next_src, _draw_for_layout(next_src))
                t = time.perf_counter()
                articles = _analyze_pdf_page(page, s.layout, drawing)
                timing.layout += time.perf_counter() - t
                return PageResult(page, articles, None)
            image = self._image_beside(src)
            t = time.perf_counter()
            articles = analyze_page(page, image=image, merge_rows=False, profile=s.layout)
            timing.layout += time.perf_counter() - t
            return PageResult(page, articles, image)

        from ocr_pipeline.ingest import load_image
        from ocr_pipeline.preprocess import preprocess

        t = time.perf_counter()
        prefetched, self._prefetched = self._prefetched, None
        if prefetched is not None and prefetched[0] == src:
            loaded = prefetched[1].result()  # raises as load_image would
        else:
            loaded = load_image(src, dpi=s.dpi, max_pixels=s.max_pixels, gray=True)
        timing.load += time.perf_counter() - t

        t = time.perf_counter()
        pre = preprocess(loaded.image, deskew=s.deskew, orientation=s.orientation, normalize=s.normalize,
                         source_channels=loaded.channels, defer_flip=self._flip_after_reading())
        timing.preprocess += time.perf_counter() - t
        found, lines = self._read_page(pre.image, src, timing)
        if pre.flip_pending is not None:
            t = time.perf_counter()
            settled = pre.settle_flip(lines)
            timing.preprocess += time.perf_counter() - t
            if settled.image is not pre.image:  # turned over: read again
                found, lines = self._read_page(settled.image, src, timing)
            pre = settled

        # The next page is decoded, and the JPEG of this page's image encoded, beside the layout below, which
        # holds the interpreter while the decoder and encoder do not: 11 and 10 ms a page (8 Mpx) taken off
        # the page's time on two cores. The decoding goes first: the next page waits for it, while the JPEG
        # is only written to a file (``save_page_image`` with pending writes).
        if next_src is not None and next_src.kind == "image":
            self._prefetched = (next_src, _in_background(load_image, next_src, dpi=s.dpi, max_pixels=s.max_pixels,
                                                         gray=True))
        jpeg = thumbnail = None
        if self.page_images:
            from ocr_pipeline.report.build import make_thumbnail

            jpeg = _in_background(encode_jpeg, pre.image)
            thumbnail = _in_background(make_thumbnail, pre.image)
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
        # The ink mask find_regions made at its analysis width, scaled up, instead of binarizing the page again
        # at full size (15 ms): line weights and the fitting of line boxes come out alike (sample pages:
        # the same body CER and reading order, block kinds and headlines a little better).
        ink = None
        if found.ink is not None:
            import cv2

            ink = cv2.resize(found.ink, (page.width, page.height), interpolation=cv2.INTER_NEAREST)
        articles = analyze_page(page, image=pre.image, ink=ink, regions=found.regions, photos=found.photos,
                                columns=found.columns, profile=s.layout)
        timing.layout += time.perf_counter() - t
        return PageResult(page, articles, pre.image, jpeg, thumbnail)

    def _flip_after_reading(self) -> bool:
        """Whether the page's upside-down test waits for its lines (Preprocessed.settle_flip): with PP-OCR, whose
        confidences it was measured on, unless its own line classifier turns upside-down lines round (they
        would then read confidently on a page that is upside down)."""
        if self.settings.engine != "ppocr":
            return False
        return not getattr(getattr(self.engine, "settings", None), "use_cls", True)

    def _read_page(self, image: np.ndarray, src: PageSource, timing: PageTiming) -> tuple[RegionResult, list[Line]]:
        """The regions of a preprocessed page and the lines the engine reads in them."""
        from ocr_pipeline.layout.regions import find_regions

        t = time.perf_counter()
        found = find_regions(image)
        timing.layout += time.perf_counter() - t
        t = time.perf_counter()
        try:
            lines = self.engine.recognize(image, regions=found.regions)
        except OcrPipelineError:
            raise
        except Exception as exc:  # an engine crash is a page failure, not a run failure
            raise EngineError(f"OCR engine {self.settings.engine} failed: {exc}", path=str(src.path)) from exc
        timing.ocr += time.perf_counter() - t
        return found, lines

    def convert_page_safely(self, src: PageSource, number: int, timing: PageTiming | None = None, *,
                            next_src: PageSource | None = None) -> PageResult:
        """``convert_page`` that never raises: a page that cannot be converted comes back as a failed
        page (status "failed") with the reason, so that nothing on one page stops an edition or a run."""
        try:
            return self.convert_page(src, number, timing, next_src=next_src)
        except OcrPipelineError as exc:
            log.warning("%s", exc)
            return PageResult(failed_page(src, number, str(exc)))
        except MemoryError:
            return PageResult(failed_page(src, number, f"{src.path}: out of memory reading this page"))
        except Exception as exc:  # the error is kept on the page and in the report
            log.exception("page %s failed", src.label)
            return PageResult(failed_page(src, number, f"{src.path}: internal error: {exc!r}"))

    def _wants_text_layer(self, src: PageSource) -> bool:
        return src.kind == "pdf" and (self.settings.engine == "pdf-text" or self.settings.use_text_layer)

    def _read_text(self, src: PageSource) -> TextPage | None:
        s = self.settings
        if src.kind in ("alto", "page") or self._wants_text_layer(src):
            from ocr_pipeline.ingest import read_text_source

            # With an OCR engine at hand, lines holding glyphs without a Unicode mapping are OCR'd.
            text = read_text_source(src, dpi=s.dpi, keep_unmapped=s.engine not in ("pdf-text", "import"))
            if text is None and s.engine == "pdf-text":
                raise BadInputError(
                    "this PDF page has no text layer; convert it with an OCR engine (--engine ppocr)",
                    path=str(src.path),
                )
            return text
        if s.engine == "import":
            raise BadInputError("--engine import needs ALTO or PAGE XML files as input", path=str(src.path))
        return None

    def _ocr_unmapped(self, src: PageSource, page: Page) -> None:
        """Fill in the glyphs of a text layer that have no Unicode mapping (fonts embedded without a
        ToUnicode table) by OCR: the lines holding them are read from the drawn page, and each unmapped
        glyph takes the OCR'd character at its place; the mapped characters stay as the PDF has them.
        A glyph the engine read nothing at is dropped."""
        from ocr_pipeline.ingest.pdf import render_pdf_page

        bad = [ln for ln in page.lines if UNMAPPED in ln.text]
        boxes = []
        for ln in bad:
            x0, y0, x1, y1 = ln.bbox
            pad = 0.15 * (y1 - y0)
            boxes.append((max(0.0, x0 - pad), max(0.0, y0 - pad), min(page.width, x1 + pad), min(page.height, y1 + pad)))
        try:
            image = render_pdf_page(src, dpi=round(page.dpi or self.settings.dpi)).image
            found = self.engine.recognize(image, regions=boxes)
        except OcrPipelineError as exc:
            log.warning("%s: unmapped glyphs not OCR'd (%s); they are left out", src.label, exc)
            found = []
        ocr_chars = [c for ol in found for c in (ol.chars or []) if c.text.strip()]
        filled = 0
        for ln in bad:
            chars = []
            for c in ln.chars or []:
                if c.text == UNMAPPED:
                    x0, y0, x1, y1 = c.bbox
                    w = x1 - x0
                    near = [o for o in ocr_chars if x0 - 0.3 * w <= (o.bbox[0] + o.bbox[2]) / 2 <= x1 + 0.3 * w
                            and y0 <= (o.bbox[1] + o.bbox[3]) / 2 <= y1]
                    if not near:
                        continue
                    best = min(near, key=lambda o: abs((o.bbox[0] + o.bbox[2]) / 2 - (x0 + x1) / 2))
                    c = Char(best.text, c.bbox, best.confidence)
                    filled += 1
                chars.append(c)
            ln.chars = chars or None
            ln.text = "".join(c.text for c in chars) if chars else ln.text.replace(UNMAPPED, "")
            ln.confidence = min([ln.confidence, *(c.confidence for c in chars)])
        page.lines = [ln for ln in page.lines if ln.text.strip()]
        if filled:
            page.provenance.append(self.engine.provenance())
        log.info("%s: %d text-layer lines had unmapped glyphs; %d glyphs filled in by OCR", src.label, len(bad), filled)

    def _image_beside(self, src: PageSource) -> np.ndarray | None:
        """The page image of an imported OCR file, when it sits beside it (for photos and the report)."""
        if src.image_path is None:
            return None
        from ocr_pipeline.ingest import load_image

        try:
            # Loading through the text source keeps the image aligned with its coordinates (no EXIF turn).
            return load_image(src, dpi=self.settings.dpi, max_pixels=self.settings.max_pixels, gray=True).image
        except OcrPipelineError as exc:
            log.warning("image beside %s not usable: %s", src.path, exc)
            return None

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


# Resolution at which a born-digital PDF page is drawn for its layout: the region finder works on a page
# about 1,200 px wide whatever it is given, and drawing at 300 dpi took five times as long.
_PDF_LAYOUT_DPI = 150


_HELPER = ProcessPool(1, "ocr-pipeline-helper")


def _in_background(fn: Callable[..., T], *args: object, **kwargs: object) -> Future[T]:
    """``fn(*args, **kwargs)`` in the process's helper thread: work that mostly runs without the interpreter
    (image decoding and encoding, OpenCV on a drawn PDF page), beside this thread's Python work on another
    core. One thread, so the work is done in the order it was asked for (a forked child starts its own)."""
    return _HELPER.get().submit(fn, *args, **kwargs)


def encode_jpeg(image: np.ndarray) -> bytes | None:
    """A page image as the JPEG saved for review (quality 80); None when OpenCV cannot encode it."""
    import cv2

    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return buf.tobytes() if ok else None


@dataclass(slots=True)
class _PdfDrawing:
    """A PDF page drawn for layout, and the regions being found on it (in a thread)."""

    gray: np.ndarray
    found: Future[RegionResult]


def _draw_for_layout(src: PageSource) -> _PdfDrawing | None:
    """``_start_pdf_layout`` for a page with text to read; None for a page without (a scanned PDF page goes
    to OCR, which draws it itself)."""
    from ocr_pipeline.ingest.pdf import MIN_TEXT_CHARS, text_layer_size

    return _start_pdf_layout(src) if text_layer_size(src) >= MIN_TEXT_CHARS else None


def _start_pdf_layout(src: PageSource) -> _PdfDrawing | None:
    """Draw the page at the layout resolution and start ``find_regions`` on it in the helper thread;
    None when PDFium cannot draw it (the page is then laid out from its lines alone)."""
    from ocr_pipeline.ingest.pdf import render_pdf_page
    from ocr_pipeline.layout.regions import find_regions

    try:
        gray = render_pdf_page(src, dpi=_PDF_LAYOUT_DPI, gray=True).image
    except OcrPipelineError as exc:
        log.warning("%s: page not drawn for layout (%s)", src.label, exc)
        return None
    return _PdfDrawing(gray, _in_background(find_regions, gray))


def _analyze_pdf_page(page: Page, profile: str, drawing: _PdfDrawing | None) -> list[PageArticle]:
    """Layout of a PDF page read from its text layer, with what the drawn page shows: the rules, photos,
    columns and gutters that ``find_regions`` finds on a scan, and the ink that tells bold type. A text layer
    alone says nothing of the rules and pictures, and its lines may run across narrow gutters; laid out from
    its lines only, the committed digital samples came out at 30-60% body CER. ``drawing``: the page
    drawn, its regions on the way (``_start_pdf_layout``); None when it could not be drawn (laid out from
    its lines alone)."""
    import cv2

    from ocr_pipeline.layout import analyze_page
    from ocr_pipeline.layout.grid import split_at_gutters
    from ocr_pipeline.layout.regions import binarize

    if drawing is None:
        return analyze_page(page, merge_rows=False, profile=profile)
    gray = drawing.gray
    found = drawing.found.result()
    k = page.width / max(1, gray.shape[1])

    def up(b: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        return (b[0] * k, b[1] * k, b[2] * k, b[3] * k)

    columns = [(a * k, b * k) for a, b in found.columns]
    page.lines = split_at_gutters(page.lines, columns)
    for i, ln in enumerate(page.lines, 1):
        ln.id = f"l{i:04d}"
    page.separators = [Separator(id=f"s{i:03d}", kind=r.kind, bbox=up(r.bbox)) for i, r in enumerate(found.rules, 1)]
    # At this resolution find_regions binarized the drawn page itself (no resize): take its mask.
    drawn_ink = found.ink if found.ink is not None and found.ink.shape == gray.shape[:2] else binarize(gray)
    ink = cv2.resize(drawn_ink, (page.width, page.height), interpolation=cv2.INTER_NEAREST)
    return analyze_page(page, ink=ink, regions=[up(r) for r in found.regions], photos=[up(p) for p in found.photos],
                        columns=columns, merge_rows=False, profile=profile)


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
