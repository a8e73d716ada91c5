"""PDF pages: counting, rasterising scanned pages and reading text layers, all through PDFium (pypdfium2).

Text layers were first read with pdfplumber; its pure-Python parsing and character de-duplication took about
1.3 s a page of a broadsheet (more than a quarter of OCR'ing the page). PDFium reads the same page in 0.02 s.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import re
import statistics
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ocr_pipeline.errors import BadInputError
from ocr_pipeline.ingest.types import UNMAPPED, PageImage, PageSource, TextPage
from ocr_pipeline.model import Char, Line, ProcessingStep
from ocr_pipeline.util.dist import dist_version

if TYPE_CHECKING:
    import pypdfium2

logger = logging.getLogger(__name__)

# PDFium's FPDF_ERR_PASSWORD.
_PDFIUM_ERR_PASSWORD = 4

_GARBAGE = re.compile(r"\(cid:\d+\)|\ufffd")


def _check_file(path: Path) -> None:
    if not path.exists():
        raise BadInputError("file not found; check the path", path=str(path))
    if not path.is_file():
        raise BadInputError("not a regular file; give a PDF, an image or a folder of images", path=str(path))
    if path.stat().st_size == 0:
        raise BadInputError("file is empty (0 bytes); copy it again from the source", path=str(path))


_PASSWORD_ADVICE = (
    "PDF is password-protected; remove the password (e.g. `qpdf --decrypt --password=PW in.pdf out.pdf`) and "
    "convert the decrypted copy"
)


def _diagnose(path: Path, exc: Exception) -> BadInputError:
    """Why PDFium refused a file. Its error code is global and can be left over from an earlier document
    (an empty page tree sets none), so pdfminer gives the second opinion."""
    import pdfplumber

    try:
        with pdfplumber.open(str(path)) as pdf:
            n = len(pdf.pages)
    except Exception as exc2:  # pdfminer raises many types on broken files
        if "password" in repr(exc2).lower():
            return BadInputError(_PASSWORD_ADVICE, path=str(path))
        return BadInputError(f"not a readable PDF ({exc}); check that the file is complete or re-export it",
                             path=str(path))
    if n == 0:
        return BadInputError("PDF has no pages; re-export it from the source", path=str(path))
    if getattr(exc, "err_code", None) == _PDFIUM_ERR_PASSWORD:
        return BadInputError(_PASSWORD_ADVICE, path=str(path))
    return BadInputError(f"not a readable PDF ({exc}); check that the file is complete or re-export it",
                         path=str(path))


def open_pdf(path: Path) -> pypdfium2.PdfDocument:
    """Open with PDFium, turning its errors into ``BadInputError`` with advice."""
    import pypdfium2 as pdfium

    _check_file(path)
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise _diagnose(path, exc) from None


# The page a text-layer conversion looks at three times (counts its characters, draws it, reads it), opened
# once: opening the document and parsing the page took about 4 ms each time. ``text_layer_size`` opens and
# holds it, ``render_pdf_page`` uses it when it is held, ``read_text_layer`` uses it and lets it go. One
# thread at a time, as PDFium itself (the layout thread only searches the drawing for regions).
_held: dict[str, Any] = {}


def _hold(src: PageSource) -> Any:
    """The PDFium page of ``src``, held open until ``_let_go`` (or until another page is held)."""
    key = (str(src.path), src.index)
    if _held.get("key") != key:
        _let_go()
        doc, page = _open_page(src)
        _held.update(key=key, doc=doc, page=page)
    return _held["page"]


def _open_page(src: PageSource) -> tuple[Any, Any]:
    """The document and PDFium page of ``src``; ``BadInputError`` when the PDF has no such page."""
    doc = open_pdf(src.path)
    try:
        n = len(doc)
        if n == 0:
            raise BadInputError("PDF has no pages; re-export it from the source", path=str(src.path))
        if not 0 <= src.index < n:
            raise BadInputError(f"PDF has {n} pages, page {src.index + 1} requested", path=str(src.path))
        return doc, doc[src.index]
    except BaseException:
        doc.close()
        raise


def _held_textpage(src: PageSource) -> Any:
    """The held page's text page (PDFium's character layer), made once."""
    page = _hold(src)
    if "textpage" not in _held:
        _held["textpage"] = page.get_textpage()
    return _held["textpage"]


def _let_go() -> None:
    tp, page, doc = _held.pop("textpage", None), _held.pop("page", None), _held.pop("doc", None)
    _held.pop("key", None)
    if tp is not None:
        tp.close()
    if page is not None:
        page.close()
    if doc is not None:
        doc.close()


def pdf_page_count(path: Path) -> int:
    """Number of pages, cheaply (no page is parsed). Raises ``BadInputError`` for 0 pages or unreadable files."""
    doc = open_pdf(path)
    try:
        n = len(doc)
    finally:
        doc.close()
    if n == 0:
        raise BadInputError("PDF has no pages; re-export it from the source", path=str(path))
    return n


def render_pdf_page(
    src: PageSource, *, dpi: int = 300, max_pixels: int = 200_000_000, gray: bool = False
) -> PageImage:
    """Rasterise one PDF page at ``dpi`` as a BGR image, or grayscale with ``gray`` (the crop box, as a
    viewer shows it)."""
    # The page held open for a text-layer conversion is drawn as it is; any other is opened and closed here.
    held = _held.get("key") == (str(src.path), src.index)
    doc, page = (None, _held["page"]) if held else _open_page(src)
    try:
        w_pt, h_pt = page.get_size()
        scale = dpi / 72.0
        w_px, h_px = round(w_pt * scale), round(h_pt * scale)
        if w_px * h_px > max_pixels:
            raise BadInputError(
                f"page {src.index + 1} would be {w_px}x{h_px} px at {dpi} dpi, more than the limit of "
                f"{max_pixels} pixels; use a lower --dpi",
                path=str(src.path),
            )
        if min(w_px, h_px) < 32:
            raise BadInputError(
                f"page {src.index + 1} is only {w_px}x{h_px} px at {dpi} dpi; use a higher --dpi",
                path=str(src.path),
            )
        bitmap = page.render(scale=scale, may_draw_forms=True)
        try:
            arr = bitmap.to_numpy()
        finally:
            bitmap.close()
    finally:
        if doc is not None:
            page.close()
            doc.close()
    # PDFium renders BGR(x) by default; drop a padding/alpha channel, copy so the buffer outlives the bitmap.
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[:, :, :3]
    # PDFium rounds the bitmap size up (1650.0000001 -> 1651): trim or pad to round(points * dpi / 72), the
    # size read_text_layer reports, so text boxes and pixels share one page size.
    arr = arr[:h_px, :w_px]
    if arr.shape[0] < h_px or arr.shape[1] < w_px:
        pad = ((0, h_px - arr.shape[0]), (0, w_px - arr.shape[1])) + ((0, 0),) * (arr.ndim - 2)
        arr = np.pad(arr, pad, constant_values=255)
    if gray and arr.ndim == 3:
        import cv2

        return PageImage(image=cv2.cvtColor(np.ascontiguousarray(arr), cv2.COLOR_BGR2GRAY), dpi=float(dpi), channels=3)
    return PageImage(image=np.ascontiguousarray(arr).copy(), dpi=float(dpi), channels=arr.shape[2] if arr.ndim == 3 else 1)


# --- text layer ------------------------------------------------------------------------------------


def is_cjk(ch: str) -> bool:
    """Scripts written without spaces between words (Han, kana, CJK punctuation, full-width forms)."""
    if not ch:
        return False
    o = ord(ch[0])
    return (
        0x2E80 <= o <= 0x2FDF  # radicals
        or 0x3000 <= o <= 0x30FF  # CJK punctuation, hiragana, katakana
        or 0x3100 <= o <= 0x31FF  # bopomofo, kana extensions
        or 0x3400 <= o <= 0x4DBF
        or 0x4E00 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0xFE30 <= o <= 0xFE4F  # CJK compatibility forms
        or 0xFF00 <= o <= 0xFFEF  # full-width forms
        or 0x20000 <= o <= 0x3FFFF
    )


@dataclass(slots=True)
class _Glyph:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    i: int  # position in the content stream (PDFium's char order)

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1e-3)


@dataclass(slots=True)
class _Row:
    top: float
    bottom: float
    size: float
    glyphs: list[_Glyph]


@functools.lru_cache(maxsize=4096)  # a page has thousands of glyphs but a few hundred different ones
def _is_garbage(text: str) -> bool:
    if _GARBAGE.search(text):
        return True
    return any(unicodedata.category(c) in ("Co", "Cc", "Cs", "Cn") for c in text)


_Box = tuple[float, float, float, float]


# Code points str.strip() removes: a glyph of one of these is a space, not a character to place.
_BLANK_CODES = frozenset(i for i in range(0x3001) if not chr(i).strip())


def _redrawn_candidates(glyphs: list[_Glyph], tol: float) -> np.ndarray:
    """Which glyphs may be a redrawing of another (bool per glyph): those with a glyph of the same text in
    one of the cells ``_first_drawing`` looks in. Two glyphs within ``tol`` of each other always are, so
    the exact check needs to see only these: on most pages none."""
    n = len(glyphs)
    if n < 2:
        return np.zeros(n, dtype=bool)
    ids: dict[str, int] = {}
    tid = np.array([ids.setdefault(g.text, len(ids)) for g in glyphs], dtype=np.int64)
    lim = (1 << 20) - 2
    fx = np.array([g.x0 for g in glyphs], dtype=np.float64) / (2 * tol)
    fy = np.array([g.top for g in glyphs], dtype=np.float64) / (2 * tol)
    cx, cy = np.floor(fx), np.floor(fy)
    # The neighbouring cell each way on the side of the cell the glyph lies in, as _first_drawing takes it.
    dx = np.where(fx - cx < 0.5, -1, 1).astype(np.int64)
    dy = np.where(fy - cy < 0.5, -1, 1).astype(np.int64)
    key = (tid << 42) | ((np.clip(cx, -lim, lim).astype(np.int64) + (1 << 20)) << 21) | (
        np.clip(cy, -lim, lim).astype(np.int64) + (1 << 20))
    uniq, counts = np.unique(key, return_counts=True)
    last = len(uniq) - 1
    out = counts[np.searchsorted(uniq, key)] > 1
    for near in (key + (dx << 21), key + dy, key + (dx << 21) + dy):
        out |= uniq[np.minimum(np.searchsorted(uniq, near), last)] == near
    return out


def _first_drawing(seen: dict[tuple[str, int, int], list[_Glyph]], g: _Glyph, tol: float) -> bool:
    """Whether ``g`` is the first drawing of its character within ``tol`` of its place, and if so, files it.

    ``seen`` files glyphs by text and cells ``2 * tol`` wide, so that the glyphs within ``tol`` lie in at
    most two cells each way."""
    fx, fy = g.x0 / (2 * tol), g.top / (2 * tol)
    cx, cy = int(fx // 1), int(fy // 1)
    get = seen.get
    for x in (cx, cx - 1 if fx - cx < 0.5 else cx + 1):
        for y in (cy, cy - 1 if fy - cy < 0.5 else cy + 1):
            for h in get((g.text, x, y), ()):
                if abs(h.x0 - g.x0) <= tol and abs(h.top - g.top) <= tol:
                    return False
    seen.setdefault((g.text, cx, cy), []).append(g)
    return True


def _paths_and_images(page: Any, form: Any = None, depth: int = 0) -> Iterator[tuple[Any, int]]:
    """(object, type) of a page's path and image objects, also inside form XObjects (15 levels at most),
    through PDFium's own functions: the helpers wrap every object in Python objects, a third of the time
    of reading a page with thousands of rules and boxes."""
    import pypdfium2.raw as pdfium_c

    if form is None:
        count, get, parent = pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, page
    else:
        count, get, parent = pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject, form
    for k in range(max(0, count(parent))):
        obj = get(parent, k)
        if not obj:
            continue
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind in (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_IMAGE):
            yield obj, kind
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < 15:
            yield from _paths_and_images(page, obj, depth + 1)


def _page_objects(
    page: Any, tp: Any, dedupe_tolerance: float = 1.0
) -> tuple[list[_Glyph], list[tuple[float, float, float]], list[_Box], _Box]:
    """A page's characters in content-stream order (spaces included), its vertical rules as (x, top, bottom),
    its images' boxes and its crop box (x0, top, x1, bottom): PDF points from the media box's top left.

    Characters PDFium makes up (the spaces and line breaks it infers) are left out: whether the PDF itself
    has a space is what the line builder wants to know. A character drawn twice at (almost) the same place,
    as some PDFs fake bold type, is kept once.
    """
    import pypdfium2.raw as pdfium_c

    mb = page.get_mediabox()
    ox, oy = mb[0], mb[3]  # PDF space runs up from the bottom left
    cb = page.get_cropbox()
    crop = (cb[0] - ox, oy - cb[3], cb[2] - ox, oy - cb[1])
    raw: list[_Glyph] = []
    drawn: list[int] = []  # positions in raw of the characters that are not spaces
    # PDFium's own functions, called directly with one reused rectangle: a page holds thousands of
    # characters, and the helpers' per-call overhead was a third of reading them.
    handle = tp.raw
    unicode_of, generated = pdfium_c.FPDFText_GetUnicode, pdfium_c.FPDFText_IsGenerated
    loose_box, font_size = pdfium_c.FPDFText_GetLooseCharBox, pdfium_c.FPDFText_GetFontSize
    rect = pdfium_c.FS_RECTF()
    rect_ref = ctypes.byref(rect)
    for i in range(pdfium_c.FPDFText_CountChars(handle)):
        code = unicode_of(handle, i)
        # PDFium makes up only spaces and line breaks.
        if code in (32, 10, 13) and generated(handle, i) == 1:
            continue
        # 2: PDFium's mark for a hyphen at a line end; 0: a glyph without a Unicode mapping.
        text = "-" if code == 2 else (UNMAPPED if code == 0 else chr(code))
        if not loose_box(handle, i, rect_ref):
            raise RuntimeError(f"PDFium gives no box for character {i}")
        top, bottom = rect.top, rect.bottom
        size = float(font_size(handle, i)) or (top - bottom) or 1.0
        g = _Glyph(text, rect.left - ox, rect.right - ox, oy - top, oy - bottom, size, 0)
        if code not in _BLANK_CODES:
            drawn.append(len(raw))
        raw.append(g)
    # A character drawn again within tol of its first drawing goes; only candidates need the exact check.
    tol = dedupe_tolerance
    seen: dict[tuple[str, int, int], list[_Glyph]] = {}
    dropped: set[int] = set()
    for k in np.flatnonzero(_redrawn_candidates([raw[k] for k in drawn], tol)):
        if not _first_drawing(seen, raw[drawn[k]], tol):
            dropped.add(drawn[k])
    if dropped:
        raw = [g for k, g in enumerate(raw) if k not in dropped]
    for k, g in enumerate(raw):
        g.i = k
    rules: list[tuple[float, float, float]] = []
    images: list[_Box] = []
    bounds = [ctypes.c_float() for _ in range(4)]
    refs = [ctypes.byref(b) for b in bounds]
    for obj, kind in _paths_and_images(page.raw):
        if not pdfium_c.FPDFPageObj_GetBounds(obj, *refs):
            continue
        left, bottom, right, top = (b.value for b in bounds)
        box = (left - ox, oy - top, right - ox, oy - bottom)
        if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            images.append(box)
            continue
        # Vertical printed rules (column rules) separate lines.
        w, h = box[2] - box[0], box[3] - box[1]
        if h > 6 and w <= max(2.0, h / 20):
            rules.append(((box[0] + box[2]) / 2, box[1], box[3]))
    return raw, rules, images, crop


def _rows(glyphs: list[_Glyph]) -> list[_Row]:
    """Cluster glyphs into horizontal bands of similar size (one band may hold several columns' lines)."""
    rows: list[_Row] = []
    active: list[_Row] = []
    for g in sorted(glyphs, key=lambda g: (g.top, g.x0)):
        top, bottom, size = g.top, g.bottom, g.size
        height = max(bottom - top, 1e-3)
        active = [r for r in active if r.bottom > top - 0.5 * r.size]
        best, best_score = None, 0.0
        for r in active:
            score = (min(r.bottom, bottom) - max(r.top, top)) / min(r.bottom - r.top, height)
            if score >= 0.6 and score > best_score:
                rs = r.size
                if (rs if rs > size else size) / max(rs if rs < size else size, 1e-3) <= 2.0:
                    best, best_score = r, score
        if best is None:
            best = _Row(top, bottom, size, [])
            rows.append(best)
            active.append(best)
        else:
            # A running mean keeps the band on the line's core, so ascenders and superscripts do not widen it.
            n = len(best.glyphs)
            best.top = (best.top * n + top) / (n + 1)
            best.bottom = (best.bottom * n + bottom) / (n + 1)
        best.glyphs.append(g)
    return rows


def _stream_adjacent(a: _Glyph, b: _Glyph, is_space: list[bool]) -> tuple[bool, bool]:
    """(adjacent in the content stream apart from whitespace, whitespace between them)."""
    lo, hi = sorted((a.i, b.i))
    if hi - lo > 4:
        return False, False
    between = is_space[lo + 1 : hi]
    return all(between), bool(between)


def _split_row(
    row: _Row, is_space: list[bool], rules: list[tuple[float, float, float]], gap_factor: float
) -> list[list[tuple[_Glyph, bool]]]:
    """Split a band at gutters: each piece is a list of (glyph, explicit space before it)."""
    glyphs = sorted(row.glyphs, key=lambda g: (g.x0, g.i))
    size = statistics.median(g.size for g in glyphs)
    mid = (row.top + row.bottom) / 2
    pieces: list[list[tuple[_Glyph, bool]]] = [[(glyphs[0], False)]]
    for a, b in zip(glyphs, glyphs[1:], strict=False):
        gap = b.x0 - a.x1
        adjacent, spaced = _stream_adjacent(a, b, is_space)
        # Word gaps stay below ~1 em even in justified text; a gutter is wider, and text in another column
        # comes from another text run, so a smaller gap suffices when the glyphs are not stream neighbours.
        split = gap > gap_factor * size or (not adjacent and gap > 0.8 * size)
        if not split and gap > 0:
            split = any(a.x1 <= x <= b.x0 and t <= mid <= bt for x, t, bt in rules)
        if split:
            pieces.append([(b, False)])
        else:
            pieces[-1].append((b, spaced and adjacent))
    return pieces


def _make_line(piece: list[tuple[_Glyph, bool]], scale: float, ox: float, oy: float, n: int) -> Line:
    chars: list[Char] = []
    prev: _Glyph | None = None
    prev_cjk = False
    for g, explicit_space in piece:
        cjk = is_cjk(g.text[0])
        if prev is not None:
            # No space inside CJK text ever; next to CJK only where the PDF has one; between Latin glyphs
            # also where the gap is wider than letter spacing (many PDFs position words without space chars).
            if not (prev_cjk and cjk) and (
                explicit_space or (not (prev_cjk or cjk) and g.x0 - prev.x1 > 0.12 * max(prev.size, g.size))
            ):
                x0, x1 = prev.x1, max(prev.x1, g.x0)
                top, bottom = min(prev.top, g.top), max(prev.bottom, g.bottom)
                chars.append(Char(" ", ((x0 - ox) * scale, (top - oy) * scale, (x1 - ox) * scale,
                                        (bottom - oy) * scale), 1.0))
        chars.append(Char(g.text, ((g.x0 - ox) * scale, (g.top - oy) * scale, (g.x1 - ox) * scale,
                                   (g.bottom - oy) * scale), 1.0))
        prev, prev_cjk = g, cjk
    xs0, ys0, xs1, ys1 = zip(*(c.bbox for c in chars), strict=True)
    bbox = (min(xs0), min(ys0), max(xs1), max(ys1))
    return Line(id=f"l{n}", bbox=bbox, text="".join(c.text for c in chars), confidence=1.0, chars=chars)


# Fewer characters than this on a page is no text layer (a stamp, a page number on a scan).
MIN_TEXT_CHARS = 20


def text_layer_size(src: PageSource) -> int:
    """How many characters a PDF page's text layer holds (PDFium's count, spaces it infers included): a
    cheap first look, before anything is drawn for a page that has no text layer to read. 0 when the
    page cannot be read."""
    import pypdfium2.raw as pdfium_c

    try:
        # Held: read_text_layer reads the same page next, and lets it go.
        return max(0, int(pdfium_c.FPDFText_CountChars(_held_textpage(src).raw)))
    except Exception:  # an unreadable file or PDFium on a broken page: the text-layer reading says why
        _let_go()
        return 0


def read_text_layer(
    src: PageSource, *, dpi: int = 300, min_chars: int = MIN_TEXT_CHARS, gap_factor: float = 2.0,
    keep_unmapped: bool = False
) -> TextPage | None:
    """Lines of a PDF page's text layer in page pixels at ``dpi``; None when there is no usable text layer.

    Usable: at least ``min_chars`` non-space characters, at most 30% unmapped glyphs (``(cid:N)``, U+FFFD,
    private use), and not a full-page scan carrying only a stamp of text. Lines never cross a gap wider
    than ``gap_factor`` em, nor a vertical rule, so neighbouring columns stay apart. Unmapped glyphs are
    left out, or with ``keep_unmapped`` kept as U+FFFD, so that the caller can OCR the lines holding them.
    """
    try:
        page = _hold(src)
        try:
            raw, rules, images, crop = _page_objects(page, _held_textpage(src))
        except Exception as exc:  # PDFium on a broken content stream
            logger.warning("%s: text layer not readable (%r); the page will be OCR'd", src.label, exc)
            return None
    finally:
        _let_go()
    width_pt, height_pt = crop[2] - crop[0], crop[3] - crop[1]
    is_space = [not g.text.strip() for g in raw]
    glyphs = [g for g in raw if g.text.strip()]
    n_glyphs = len(glyphs)
    if n_glyphs < min_chars:
        logger.debug("%s: %d characters in the text layer, fewer than %d", src.label, n_glyphs, min_chars)
        return None
    bad = sum(1 for g in glyphs if _is_garbage(g.text))
    if bad > 0.3 * n_glyphs:
        logger.info("%s: text layer has %d of %d unmapped glyphs; the page will be OCR'd", src.label, bad, n_glyphs)
        return None
    page_area = max(width_pt * height_pt, 1.0)
    image_area = sum(
        max(0.0, min(im[2], crop[2]) - max(im[0], crop[0]))
        * max(0.0, min(im[3], crop[3]) - max(im[1], crop[1]))
        for im in images
    )
    if image_area > 0.5 * page_area and n_glyphs < 200:
        logger.info("%s: a page-size image with only %d characters of text; treated as a scan", src.label, n_glyphs)
        return None

    scale = dpi / 72.0
    if keep_unmapped:
        for g in glyphs:
            if _is_garbage(g.text):
                g.text = UNMAPPED
    else:
        glyphs = [g for g in glyphs if not _is_garbage(g.text)]
    lines: list[Line] = []
    for row in _rows(glyphs):
        for piece in _split_row(row, is_space, rules, gap_factor):
            lines.append(_make_line(piece, scale, crop[0], crop[1], 0))
    # Bands come top to bottom and pieces left to right: a stable order; reading order is layout's job.
    for k, ln in enumerate(lines, 1):
        ln.id = f"l{k}"
    return TextPage(
        width=round(width_pt * scale),
        height=round(height_pt * scale),
        lines=lines,
        dpi=float(dpi),
        provenance=[
            ProcessingStep(
                stage="ocr",
                name="pdf-text",
                version=dist_version("pypdfium2"),
                settings={"dpi": dpi, "source": src.label},
            )
        ],
    )
