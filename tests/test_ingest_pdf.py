"""PDF pages: text layers read with PDFium (English and Chinese, made here with reportlab), scanned
pages rasterised with pypdfium2, and broken, encrypted and empty PDFs."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from ocr_pipeline.errors import BadInputError
from ocr_pipeline.ingest import PageSource, load_image, pdf_page_count, read_text_layer

EN_COL1 = [
    "The council met on Tuesday to discuss",
    "the budget for the coming year and the",
    "repair of the old bridge over the river.",
]
EN_COL2 = [
    "Rain is expected later in the week,",
    "with strong winds along the coast",
    "and cooler nights in the valleys.",
]
ZH_COL1 = ["本报讯近年来市场需求", "与产业需求相适应，", "培育新质生产力。"]
ZH_COL2 = ["（上接第1版）记者从", "市政府获悉，全市经济", "运行总体平稳。"]

LEADING = 14.0
TOP_BASELINE = 700.0


def _cjk_font() -> str:
    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def make_two_column_pdf(
    path: Path, col1: list[str], col2: list[str], font: str, size: float = 10, x2: float = 320, **kw: object
) -> None:
    """Two columns drawn as whole strings, column by column (as layout programs emit them)."""
    c = canvas.Canvas(str(path), pagesize=letter, **kw)  # type: ignore[arg-type]
    c.setFont(font, size)
    for x, col in ((72.0, col1), (x2, col2)):
        for i, text in enumerate(col):
            c.drawString(x, TOP_BASELINE - i * LEADING, text)
    c.showPage()
    c.save()


def texts(lines: list) -> list[str]:  # type: ignore[type-arg]
    return [ln.text for ln in lines]


def test_a_page_counted_drawn_and_read_is_opened_once_and_let_go(tmp_path: Path) -> None:
    """A text-layer conversion counts a page's characters, draws it and reads it with one opened page,
    which is closed once read; drawing alone opens and closes its own; a page number past the end holds
    nothing."""
    from ocr_pipeline.ingest import pdf

    p = tmp_path / "en.pdf"
    make_two_column_pdf(p, EN_COL1, EN_COL2, "Helvetica")
    src = PageSource(path=p, kind="pdf")
    alone = pdf.render_pdf_page(src, dpi=72, gray=True).image
    assert not pdf._held
    assert pdf.text_layer_size(src) >= len("".join(EN_COL1 + EN_COL2))
    held = pdf._held["page"]
    assert np.array_equal(pdf.render_pdf_page(src, dpi=72, gray=True).image, alone)
    assert pdf._held["page"] is held  # drawn from the page held open
    page = read_text_layer(src, dpi=72)
    assert page is not None and sorted(texts(page.lines)) == sorted(EN_COL1 + EN_COL2)
    assert not pdf._held
    assert pdf.text_layer_size(PageSource(path=p, kind="pdf", index=5)) == 0
    assert not pdf._held


def test_english_two_columns_exact_lines_and_boxes(tmp_path: Path) -> None:
    p = tmp_path / "en.pdf"
    make_two_column_pdf(p, EN_COL1, EN_COL2, "Helvetica")
    dpi = 150
    page = read_text_layer(PageSource(path=p, kind="pdf"), dpi=dpi)
    assert page is not None
    assert (page.width, page.height) == (round(612 * dpi / 72), round(792 * dpi / 72))
    assert sorted(texts(page.lines)) == sorted(EN_COL1 + EN_COL2), "columns must never merge into one line"
    s = dpi / 72
    for col, x in ((EN_COL1, 72.0), (EN_COL2, 320.0)):
        for i, text in enumerate(col):
            (ln,) = [ln for ln in page.lines if ln.text == text]
            baseline_px = (792 - (TOP_BASELINE - i * LEADING)) * s
            assert ln.bbox[0] == pytest.approx(x * s, abs=1.0)
            assert ln.bbox[1] < baseline_px < ln.bbox[3] + 1
            assert ln.bbox[3] - ln.bbox[1] == pytest.approx(10 * s, rel=0.25)
            width_px = pdfmetrics.stringWidth(text, "Helvetica", 10) * s
            assert ln.bbox[2] - ln.bbox[0] == pytest.approx(width_px, abs=1.5)
            assert ln.confidence == 1.0 and ln.chars is not None
            assert "".join(ch.text for ch in ln.chars) == ln.text
    assert len({ln.id for ln in page.lines}) == len(page.lines)
    assert page.provenance and page.provenance[0].name == "pdf-text"


def test_text_boxes_land_on_the_rendered_ink(tmp_path: Path) -> None:
    p = tmp_path / "en.pdf"
    make_two_column_pdf(p, EN_COL1, EN_COL2, "Times-Roman")
    src = PageSource(path=p, kind="pdf")
    page = read_text_layer(src, dpi=100)
    img = load_image(src, dpi=100).image
    assert page is not None and img.shape[:2] == (page.height, page.width)
    gray = img.mean(axis=2) if img.ndim == 3 else img
    for ln in page.lines:
        x0, y0, x1, y1 = (int(round(v)) for v in ln.bbox)
        assert gray[y0:y1, x0:x1].min() < 100, f"no ink under {ln.text!r}"
    assert gray[: int(page.lines[0].bbox[1]) - 20].min() > 250  # the top margin is blank


def test_words_positioned_without_space_characters(tmp_path: Path) -> None:
    """Many PDFs place each word separately and carry no space glyphs: spaces come from the gaps."""
    p = tmp_path / "words.pdf"
    c = canvas.Canvas(str(p), pagesize=letter)
    c.setFont("Times-Roman", 11)
    words = "Continued from Page 1 the mayor said on Friday".split()
    x = 72.0
    for w in words:
        c.drawString(x, 600, w)
        x += pdfmetrics.stringWidth(w + " ", "Times-Roman", 11)
    c.save()
    page = read_text_layer(PageSource(path=p, kind="pdf"), dpi=72)
    assert page is not None
    assert texts(page.lines) == [" ".join(words)]


def test_chinese_cid_font_no_spaces_columns_apart(tmp_path: Path) -> None:
    p = tmp_path / "zh.pdf"
    make_two_column_pdf(p, ZH_COL1, ZH_COL2, _cjk_font(), size=12, x2=260)
    page = read_text_layer(PageSource(path=p, kind="pdf"), dpi=200)
    assert page is not None
    assert sorted(texts(page.lines)) == sorted(ZH_COL1 + ZH_COL2)
    s = 200 / 72
    (first,) = [ln for ln in page.lines if ln.text == ZH_COL2[0]]
    assert first.bbox[0] == pytest.approx(260 * s, abs=1.0)
    assert first.chars is not None and len(first.chars) == len(ZH_COL2[0])
    # Full-width glyphs: each char box is one em wide.
    assert first.chars[-1].bbox[2] - first.chars[-1].bbox[0] == pytest.approx(12 * s, abs=0.5)


def test_mixed_latin_and_cjk_keeps_explicit_spaces_only(tmp_path: Path) -> None:
    p = tmp_path / "mixed.pdf"
    c = canvas.Canvas(str(p), pagesize=A4)
    c.setFont(_cjk_font(), 12)
    c.drawString(72, 700, "全年GDP增长5.2%，使用 Python 编程的人数增加了很多")
    c.save()
    page = read_text_layer(PageSource(path=p, kind="pdf"), dpi=72)
    assert page is not None
    assert texts(page.lines) == ["全年GDP增长5.2%，使用 Python 编程的人数增加了很多"]


def test_vertical_rule_splits_a_narrow_gutter(tmp_path: Path) -> None:
    """Stream-adjacent words 1.5 em apart are one line unless a printed column rule runs between them."""
    def build(path: Path, rule: bool) -> None:
        c = canvas.Canvas(str(path), pagesize=letter)
        c.setFont("Helvetica", 10)
        for i in range(4):
            y = 700 - i * LEADING
            left = f"left column line {i}"
            c.drawString(72, y, left)
            c.drawString(72 + pdfmetrics.stringWidth(left, "Helvetica", 10) + 15, y, f"right side {i}")
        if rule:
            c.setLineWidth(0.5)
            c.line(72 + pdfmetrics.stringWidth("left column line 0", "Helvetica", 10) + 7.5, 720,
                   72 + pdfmetrics.stringWidth("left column line 0", "Helvetica", 10) + 7.5, 640)
        c.save()

    plain, ruled = tmp_path / "plain.pdf", tmp_path / "ruled.pdf"
    build(plain, False)
    build(ruled, True)
    p1 = read_text_layer(PageSource(path=plain, kind="pdf"), dpi=72)
    p2 = read_text_layer(PageSource(path=ruled, kind="pdf"), dpi=72)
    assert p1 is not None and p2 is not None
    assert texts(p1.lines)[0] == "left column line 0 right side 0"
    assert sorted(texts(p2.lines))[:2] == ["left column line 0", "left column line 1"]
    assert len(p2.lines) == 8


def test_cropbox_offsets_text_like_the_raster(tmp_path: Path) -> None:
    p = tmp_path / "crop.pdf"
    c = canvas.Canvas(str(p), pagesize=letter)
    c.setCropBox((36, 36, 576, 756))
    c.setFont("Helvetica", 12)
    for i in range(3):
        c.drawString(100, 600 - 20 * i, f"Cropped page line number {i}")
    c.save()
    src = PageSource(path=p, kind="pdf")
    page = read_text_layer(src, dpi=72)
    img = load_image(src, dpi=72).image
    assert page is not None and (page.width, page.height) == (540, 720) == (img.shape[1], img.shape[0])
    assert page.lines[0].bbox[0] == pytest.approx(100 - 36, abs=1)
    gray = img.mean(axis=2)
    for ln in page.lines:
        x0, y0, x1, y1 = (int(round(v)) for v in ln.bbox)
        assert gray[y0:y1, x0:x1].min() < 100


def _scan_pdf(path: Path, pages: int = 1) -> None:
    c = canvas.Canvas(str(path), pagesize=letter)
    for n in range(pages):
        im = Image.new("L", (850, 1100), 255)
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 28) if Path(
            "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf").exists() else ImageFont.load_default()
        ImageDraw.Draw(im).text((100, 100), f"Scanned page {n + 1}", fill=0, font=font)
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        buf.seek(0)
        c.drawImage(ImageReader(buf), 0, 0, width=612, height=792)
        c.showPage()
    c.save()


def test_scanned_pdf_has_no_text_layer_and_is_rasterised_at_dpi(tmp_path: Path) -> None:
    p = tmp_path / "scan.pdf"
    _scan_pdf(p, pages=2)
    assert pdf_page_count(p) == 2
    src = PageSource(path=p, index=1, kind="pdf")
    assert read_text_layer(src) is None
    for dpi in (100, 150):
        out = load_image(src, dpi=dpi)
        assert out.image.shape[:2] == (round(792 * dpi / 72), round(612 * dpi / 72))
        assert out.image.dtype == np.uint8 and out.dpi == dpi
    # The text drawn at (100, 100) of the 850 px wide scan lands at the same relative place.
    img = load_image(src, dpi=100).image.mean(axis=2)
    assert img[100:150, 100:400].min() < 100 and img[600:, :].min() > 200


def test_a_scanned_pdf_page_is_not_drawn_for_text_layout(tmp_path: Path, monkeypatch) -> None:
    """Only a page with a text layer is drawn at the layout resolution before its text is read; a scanned
    page goes to OCR without that extra drawing."""
    import ocr_pipeline.pipeline as pipeline
    from ocr_pipeline.ingest.pdf import MIN_TEXT_CHARS, text_layer_size
    from ocr_pipeline.settings import ConvertSettings

    scan, digital = tmp_path / "scan.pdf", tmp_path / "digital.pdf"
    _scan_pdf(scan)
    make_two_column_pdf(digital, ["A first column of text", "that runs on over", "three lines of type."],
                        ["The second column", "is set beside it,", "a gutter apart."], "Times-Roman")
    assert text_layer_size(PageSource(path=scan, kind="pdf")) < MIN_TEXT_CHARS
    assert text_layer_size(PageSource(path=digital, kind="pdf")) >= MIN_TEXT_CHARS
    assert text_layer_size(PageSource(path=tmp_path / "missing.pdf", kind="pdf")) == 0
    drawn: list[str] = []
    start = pipeline._start_pdf_layout
    monkeypatch.setattr(pipeline, "_start_pdf_layout", lambda src: drawn.append(src.path.name) or start(src))
    conv = pipeline.Converter(ConvertSettings(lang="en"))
    res = conv.convert_page(PageSource(path=digital, kind="pdf"), 1)
    assert drawn == ["digital.pdf"] and "The second column" in [ln.text for ln in res.page.lines]
    res = conv.convert_page(PageSource(path=scan, kind="pdf"), 1)
    assert drawn == ["digital.pdf"] and any("Scanned" in ln.text for ln in res.page.lines)


def test_too_few_chars_is_not_a_text_layer(tmp_path: Path) -> None:
    p = tmp_path / "folio.pdf"
    c = canvas.Canvas(str(p), pagesize=letter)
    c.drawString(300, 40, "7")
    c.save()
    assert read_text_layer(PageSource(path=p, kind="pdf")) is None


def test_password_pdf(tmp_path: Path) -> None:
    p = tmp_path / "secret.pdf"
    make_two_column_pdf(p, EN_COL1, EN_COL2, "Helvetica", encrypt="secret")
    src = PageSource(path=p, kind="pdf")
    for fn in (lambda: load_image(src), lambda: read_text_layer(src), lambda: pdf_page_count(p)):
        with pytest.raises(BadInputError, match="password"):
            fn()


def test_zero_page_and_garbage_pdfs(tmp_path: Path) -> None:
    import pypdfium2 as pdfium

    zero = tmp_path / "zero.pdf"
    empty_doc = pdfium.PdfDocument.new()
    empty_doc.save(str(zero))
    empty_doc.close()
    with pytest.raises(BadInputError, match="no pages"):
        pdf_page_count(zero)
    with pytest.raises(BadInputError, match="no pages"):
        load_image(PageSource(path=zero, kind="pdf"))
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4\nthis is not really a pdf\n")
    with pytest.raises(BadInputError, match="not a readable PDF"):
        load_image(PageSource(path=junk, kind="pdf"))
    with pytest.raises(BadInputError):
        read_text_layer(PageSource(path=junk, kind="pdf"))


def test_page_index_out_of_range(tmp_path: Path) -> None:
    p = tmp_path / "en.pdf"
    make_two_column_pdf(p, EN_COL1, EN_COL2, "Helvetica")
    with pytest.raises(BadInputError, match="page 3"):
        load_image(PageSource(path=p, index=2, kind="pdf"))


def test_pdf_raster_respects_max_pixels(tmp_path: Path) -> None:
    p = tmp_path / "en.pdf"
    make_two_column_pdf(p, EN_COL1, EN_COL2, "Helvetica")
    with pytest.raises(BadInputError, match="lower"):
        load_image(PageSource(path=p, kind="pdf"), dpi=600, max_pixels=10_000_000)


def test_missing_and_empty_pdf(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="not found"):
        read_text_layer(PageSource(path=tmp_path / "gone.pdf", kind="pdf"))
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(BadInputError, match="empty"):
        load_image(PageSource(path=empty, kind="pdf"))


def test_fake_bold_glyphs_drawn_twice_are_read_once(tmp_path: Path) -> None:
    # Some layout programs fake bold type by drawing each string twice, a fraction of a point apart.
    p = tmp_path / "bold.pdf"
    c = canvas.Canvas(str(p), pagesize=letter)
    c.setFont("Helvetica", 12)
    for dx in (0.0, 0.4):
        c.drawString(72 + dx, 700, "Harbor board approves the new ferry pier")
    c.drawString(72, 680, "and a second line drawn only once here")
    c.save()
    page = read_text_layer(PageSource(path=p, kind="pdf"), dpi=144)
    assert page is not None
    assert texts(page.lines) == ["Harbor board approves the new ferry pier", "and a second line drawn only once here"]



def test_redrawn_candidates_hold_every_glyph_the_exact_check_drops() -> None:
    """Only glyphs with a same-text glyph in a neighbouring cell go through the exact check: the glyphs it
    keeps are the same as when every glyph goes through it, wherever the pairs fall on the cell grid."""
    from ocr_pipeline.ingest.pdf import _first_drawing, _Glyph, _redrawn_candidates

    rng = np.random.default_rng(7)
    glyphs = []
    for k in range(600):
        x, y = float(rng.uniform(-5, 300)), float(rng.uniform(0, 400))
        glyphs.append(_Glyph("abc"[k % 3], x, x + 5, y, y + 9, 9.0, k))
        if k % 7 == 0:  # drawn again, up to 1.3 tolerances away
            dx, dy = rng.uniform(-1.3, 1.3, 2)
            glyphs.append(_Glyph("abc"[k % 3], x + dx, x + dx + 5, y + dy, y + dy + 9, 9.0, k))
    seen_all: dict = {}
    everyone = [g for g in glyphs if _first_drawing(seen_all, g, 1.0)]
    cand = _redrawn_candidates(glyphs, 1.0)
    seen: dict = {}
    fast = [g for g, c in zip(glyphs, cand, strict=True) if not c or _first_drawing(seen, g, 1.0)]
    assert fast == everyone
    assert len(everyone) < len(glyphs) and cand.sum() < len(glyphs)
