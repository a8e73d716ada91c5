"""ALTO and PAGE import: small files written here, and the real pages in ../shared/real (skipped if absent)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from lxml import etree
from PIL import Image

from ocr_pipeline.engines import create_engine
from ocr_pipeline.errors import BadInputError, EngineError
from ocr_pipeline.ingest import PageSource, discover, load_image, read_alto, read_page

REAL = Path(__file__).resolve().parents[2] / "shared" / "real"

ALTO_NS = {
    2: "http://www.loc.gov/standards/alto/ns-v2#",
    3: "http://www.loc.gov/standards/alto/ns-v3#",
    4: "http://www.loc.gov/standards/alto/ns-v4#",
}


def alto_doc(version: int, unit: str, k: float, *, reading_order: bool = False) -> str:
    """A page with two blocks in ``unit``; ``k`` = units per pixel at the intended DPI."""

    def c(v: float) -> str:
        return f'{v * k:g}'

    ro = ""
    if reading_order:
        ro = ('<ReadingOrder><OrderedGroup ID="ro1"><ElementRef ID="e1" REF="B2"/>'
              '<UnorderedGroup ID="g2"><ElementRef ID="e2" REF="B1"/></UnorderedGroup></OrderedGroup></ReadingOrder>')
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="{ALTO_NS[version]}">
<Description><MeasurementUnit>{unit}</MeasurementUnit>
<OCRProcessing ID="OCR1"><ocrProcessingStep><processingSoftware><softwareName>TestOCR</softwareName>
</processingSoftware></ocrProcessingStep></OCRProcessing></Description>
{ro}
<Layout><Page ID="P1" WIDTH="{c(1000)}" HEIGHT="{c(1400)}" PHYSICAL_IMG_NR="1">
<PrintSpace HPOS="0" VPOS="0" WIDTH="{c(1000)}" HEIGHT="{c(1400)}">
<TextBlock ID="B1" HPOS="{c(100)}" VPOS="{c(100)}" WIDTH="{c(400)}" HEIGHT="{c(100)}">
 <TextLine ID="L1" HPOS="{c(100)}" VPOS="{c(100)}" WIDTH="{c(400)}" HEIGHT="{c(40)}">
  <String ID="S1" CONTENT="Continued" WC="0.9" HPOS="{c(100)}" VPOS="{c(100)}" WIDTH="{c(150)}" HEIGHT="{c(40)}"/>
  <SP WIDTH="{c(10)}" HPOS="{c(250)}" VPOS="{c(100)}"/>
  <String ID="S2" CONTENT="from" WC="0.7" HPOS="{c(260)}" VPOS="{c(100)}" WIDTH="{c(60)}" HEIGHT="{c(40)}"/>
  <String ID="S3" CONTENT="," WC="0.5" HPOS="{c(320)}" VPOS="{c(100)}" WIDTH="{c(10)}" HEIGHT="{c(40)}"/>
  <SP WIDTH="{c(10)}" HPOS="{c(330)}" VPOS="{c(100)}"/>
  <String ID="S4" CONTENT="exam" WC="1" HPOS="{c(340)}" VPOS="{c(100)}" WIDTH="{c(140)}" HEIGHT="{c(40)}"/>
  <HYP CONTENT="-" WIDTH="{c(20)}" HPOS="{c(480)}" VPOS="{c(100)}"/>
 </TextLine>
 <TextLine ID="L2" HPOS="{c(100)}" VPOS="{c(150)}" WIDTH="{c(300)}" HEIGHT="{c(40)}">
  <String CONTENT="ple" HPOS="{c(100)}" VPOS="{c(150)}" WIDTH="{c(100)}" HEIGHT="{c(40)}"/>
  <String CONTENT="text" HPOS="{c(220)}" VPOS="{c(150)}" WIDTH="{c(100)}" HEIGHT="{c(40)}"/>
 </TextLine>
 <TextLine ID="L3" HPOS="{c(100)}" VPOS="{c(200)}" WIDTH="{c(300)}" HEIGHT="{c(40)}"/>
</TextBlock>
<ComposedBlock ID="CB1" HPOS="{c(500)}" VPOS="{c(500)}" WIDTH="{c(400)}" HEIGHT="{c(400)}">
 <TextBlock ID="B2" HPOS="{c(500)}" VPOS="{c(500)}" WIDTH="{c(400)}" HEIGHT="{c(50)}">
  <TextLine ID="L1" HPOS="{c(500)}" VPOS="{c(500)}" WIDTH="{c(400)}" HEIGHT="{c(40)}">
   <String CONTENT="Duplicate" HPOS="{c(500)}" VPOS="{c(500)}" WIDTH="{c(200)}" HEIGHT="{c(40)}"/>
  </TextLine>
 </TextBlock>
 <Illustration ID="I1" HPOS="{c(500)}" VPOS="{c(600)}" WIDTH="{c(400)}" HEIGHT="{c(300)}"/>
</ComposedBlock>
<GraphicalElement ID="G1" HPOS="{c(50)}" VPOS="{c(1000)}" WIDTH="{c(900)}" HEIGHT="{c(4)}"/>
<GraphicalElement ID="G2" HPOS="{c(480)}" VPOS="{c(100)}" WIDTH="{c(3)}" HEIGHT="{c(800)}"/>
</PrintSpace></Page></Layout></alto>
"""


def check_small_alto(tp, scale: float = 1.0) -> None:  # type: ignore[no-untyped-def]
    assert [b.id for b in tp.blocks] == ["B1", "B2"]
    lines = tp.line_map() if hasattr(tp, "line_map") else {ln.id: ln for ln in tp.lines}
    assert tp.blocks[0].line_ids == ["L1", "L2"], "empty TextLine L3 is dropped"
    assert len(tp.blocks[1].line_ids) == 1 and tp.blocks[1].line_ids[0] != "L1", "duplicate id renamed"
    l1, l2 = lines["L1"], lines["L2"]
    # SP honoured: "from" and "," have no SP between them, so they are one word; HYP kept at the end.
    assert l1.text == "Continued from, exam-"
    assert [w.text for w in l1.words] == ["Continued", "from,", "exam-"]
    assert l1.words[0].confidence == pytest.approx(0.9) and l1.words[1].confidence == pytest.approx(0.6)
    assert l1.confidence == pytest.approx((0.9 + 0.7 + 0.5 + 1) / 4, abs=1e-3)
    assert l1.words[2].bbox == pytest.approx((340 * scale, 100 * scale, 500 * scale, 140 * scale))
    # A file without SP: Strings joined with spaces; no WC: confidence 1.
    assert l2.text == "ple text" and l2.confidence == 1.0
    assert l1.bbox == pytest.approx((100 * scale, 100 * scale, 500 * scale, 140 * scale))
    kinds = {s.id: s.kind for s in tp.separators}
    assert kinds == {"G1": "hrule", "G2": "vrule", "I1": "graphic"}


@pytest.mark.parametrize("version", [2, 3, 4])
def test_alto_pixel_versions(tmp_path: Path, version: int) -> None:
    p = tmp_path / "p.xml"
    p.write_text(alto_doc(version, "pixel", 1.0))
    tp = read_alto(p)
    assert (tp.width, tp.height) == (1000, 1400)
    check_small_alto(tp)
    assert tp.reading_order == []
    assert tp.provenance[0].version == f"ALTO {version}" and tp.provenance[0].model == "TestOCR"


def test_alto_mm10_uses_dpi_of_image_beside(tmp_path: Path) -> None:
    dpi = 200
    # mm10 units per pixel at 200 dpi: 254 / 200.
    (tmp_path / "p1.alto.xml").write_text(alto_doc(4, "mm10", 254 / dpi))
    Image.new("L", (1000, 1400), 255).save(tmp_path / "p1.png", dpi=(dpi, dpi))
    (ed,) = discover([tmp_path])
    src = ed.pages[0]
    assert src.kind == "alto" and src.image_path == tmp_path / "p1.png"
    tp = read_alto(src.path, image_path=src.image_path)
    assert tp.dpi == pytest.approx(dpi)
    check_small_alto(tp)
    assert load_image(src).image.shape == (1400, 1000)


def test_alto_inch1200_default_and_explicit_dpi(tmp_path: Path) -> None:
    p = tmp_path / "lone.xml"
    p.write_text(alto_doc(2, "inch1200", 1200 / 300))  # made at 300 dpi, no image anywhere
    tp = read_alto(p)
    assert (tp.width, tp.height, tp.dpi) == (1000, 1400, 300)
    check_small_alto(tp)
    half = read_alto(p, dpi=150)
    assert (half.width, half.height) == (500, 700)
    check_small_alto(half, scale=0.5)


def test_alto_inch1200_image_without_dpi_uses_size_ratio(tmp_path: Path) -> None:
    (tmp_path / "s.alto.xml").write_text(alto_doc(2, "inch1200", 1200 / 150))
    Image.new("L", (1000, 1400), 255).save(tmp_path / "s.jpg")  # no DPI in the file
    tp = read_alto(tmp_path / "s.alto.xml")
    assert tp.dpi == pytest.approx(150, rel=1e-3)
    check_small_alto(tp)


def test_alto_reading_order_flattened(tmp_path: Path) -> None:
    p = tmp_path / "ro.xml"
    p.write_text(alto_doc(4, "pixel", 1.0, reading_order=True))
    assert read_alto(p).reading_order == ["B2", "B1"]


def test_alto_bad_files(tmp_path: Path) -> None:
    p = tmp_path / "x.xml"
    p.write_text("<alto><Layout>")
    with pytest.raises(BadInputError, match="XML"):
        read_alto(p)
    p.write_text('<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15"/>')
    with pytest.raises(BadInputError, match="not an ALTO"):
        read_alto(p)


PAGE_DOC = """<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/{ns}">
<Metadata><Creator>unit test</Creator><Created>2025-01-01T00:00:00</Created><LastChange>2025-01-01T00:00:00</LastChange></Metadata>
<Page imageFilename="scan.tif" imageWidth="1000" imageHeight="800">
<ReadingOrder><OrderedGroup id="g0">
  <RegionRefIndexed index="2" regionRef="r3"/>
  <OrderedGroupIndexed id="g1" index="1">
    <RegionRefIndexed index="1" regionRef="r1"/>
    <RegionRefIndexed index="0" regionRef="r2"/>
  </OrderedGroupIndexed>
  <RegionRefIndexed index="0" regionRef="head"/>
  <RegionRefIndexed index="3" regionRef="img1"/>
</OrderedGroup></ReadingOrder>
<TextRegion id="head" type="heading"><Coords points="100,20 900,20 900,80 100,80"/>
  <TextLine id="l1"><Coords points="100,20 900,20 900,80 100,80"/><Baseline points="100,75 900,75"/>
   <Word id="w1"><Coords points="100,20 400,20 400,80 100,80"/><TextEquiv conf="0.8"><Unicode>Neue</Unicode></TextEquiv></Word>
   <Word id="w2"><Coords points="420,20 900,20 900,80 420,80"/><TextEquiv conf="0.6"><Unicode>Zeitung</Unicode></TextEquiv></Word>
   <TextEquiv><Unicode>Neue  Zeitung</Unicode></TextEquiv></TextLine>
  <TextEquiv><Unicode>region text is not line text</Unicode></TextEquiv>
</TextRegion>
<TextRegion id="r1" type="paragraph"><Coords points="100,100 480,100 480,700 100,700"/>
  <TextLine id="l2"><Coords points="100,100 480,100 480,130 100,130"/>
   <Word id="w3"><Coords points="100,100 200,100 200,130 100,130"/><TextEquiv><Unicode>Words</Unicode></TextEquiv></Word>
   <Word id="w4"><Coords points="210,100 300,100 300,130 210,130"/><TextEquiv><Unicode>only</Unicode></TextEquiv></Word>
  </TextLine>
  <TextLine id="l3"><Baseline points="100,170 470,172"/><TextEquiv index="1"><Unicode>second</Unicode></TextEquiv><TextEquiv index="0"><Unicode>first choice</Unicode></TextEquiv></TextLine>
</TextRegion>
<TextRegion id="r2"><Coords points="520,100 900,100 900,700 520,700"/>
  <TextLine id="l2"><Coords points="520,100 900,100 900,130 520,130"/><TextEquiv><Unicode>dup id</Unicode></TextEquiv></TextLine>
</TextRegion>
<TextRegion id="r3" type="caption"><Coords points="100,720 900,720 900,760 100,760"/>
  <TextLine id="l5"><Coords points="100,720 900,720 900,760 100,760"/><TextEquiv><Unicode>Bild</Unicode></TextEquiv></TextLine>
</TextRegion>
<SeparatorRegion id="s1"><Coords points="495,100 505,100 505,700 495,700"/></SeparatorRegion>
<SeparatorRegion id="s2"><Coords points="100,90 900,90 900,92 100,92"/></SeparatorRegion>
<ImageRegion id="img1"><Coords points="600,300 800,300 800,500 600,500"/></ImageRegion>
</Page></PcGts>
"""


@pytest.mark.parametrize("ns", ["2013-07-15", "2019-07-15"])
def test_page_small(tmp_path: Path, ns: str) -> None:
    p = tmp_path / "scan.page.xml"
    p.write_text(PAGE_DOC.format(ns=ns))
    tp = read_page(p)
    assert (tp.width, tp.height) == (1000, 800)
    assert [b.id for b in tp.blocks] == ["head", "r1", "r2", "r3"]
    assert [b.kind for b in tp.blocks] == ["headline", "text", "text", "caption"]
    lines = {ln.id: ln for ln in tp.lines}
    assert lines["l1"].text == "Neue Zeitung" and [w.text for w in lines["l1"].words] == ["Neue", "Zeitung"]
    assert lines["l1"].confidence == pytest.approx(0.7)
    assert lines["l1"].polygon is not None and lines["l1"].bbox == (100, 20, 900, 80)
    assert lines["l2"].text == "Words only"
    assert lines["l3"].text == "first choice"
    assert lines["l3"].bbox[1] < 170 < lines["l3"].bbox[3]  # from the baseline
    assert tp.blocks[2].line_ids != ["l2"] and lines[tp.blocks[2].line_ids[0]].text == "dup id"
    # head (0), group g1 at 1 holding r2 then r1, r3 (2); img1 is not a text block.
    assert tp.reading_order == ["head", "r2", "r1", "r3"]
    assert {s.id: s.kind for s in tp.separators} == {"s1": "vrule", "s2": "hrule", "img1": "graphic"}
    assert tp.provenance[0].version == f"PAGE {ns}"


def test_page_scaled_to_the_image_beside(tmp_path: Path) -> None:
    (tmp_path / "scan.page.xml").write_text(PAGE_DOC.format(ns="2019-07-15"))
    Image.new("L", (500, 400), 255).save(tmp_path / "scan.tif")
    tp = read_page(tmp_path / "scan.page.xml")
    assert (tp.width, tp.height) == (500, 400)
    assert tp.blocks[0].bbox == pytest.approx((50, 10, 450, 40))


def test_import_engine(tmp_path: Path) -> None:
    (tmp_path / "scan.page.xml").write_text(PAGE_DOC.format(ns="2013-07-15"))
    (tmp_path / "a.alto.xml").write_text(alto_doc(3, "pixel", 1.0))
    eng = create_engine("import")
    assert eng.needs_image is False and eng.info().available and eng.info().version
    (ed,) = discover([tmp_path])
    kinds = {p.kind for p in ed.pages}
    assert kinds == {"alto", "page"}
    for src in ed.pages:
        tp = eng.read(src, dpi=300)  # type: ignore[attr-defined]
        assert tp.lines and tp.blocks
    with pytest.raises(BadInputError):
        eng.read(PageSource(path=tmp_path / "x.png"), dpi=300)  # type: ignore[attr-defined]
    with pytest.raises(EngineError):
        eng.recognize(np.zeros((64, 64), np.uint8))


def test_pdf_text_engine(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    p = tmp_path / "t.pdf"
    c = canvas.Canvas(str(p))
    c.drawString(72, 700, "A text layer with enough characters in it.")
    c.showPage()
    c.showPage()  # a blank page: no text layer
    c.save()
    eng = create_engine("pdf-text")
    assert eng.needs_image is False and eng.info().available
    tp = eng.read(PageSource(path=p, kind="pdf"), dpi=72)  # type: ignore[attr-defined]
    assert [ln.text for ln in tp.lines] == ["A text layer with enough characters in it."]
    with pytest.raises(BadInputError, match="no usable text layer"):
        eng.read(PageSource(path=p, index=1, kind="pdf"), dpi=72)  # type: ignore[attr-defined]


# --- the real pages -------------------------------------------------------------------------------


def _real(pattern: str) -> list[Path]:
    files = sorted(REAL.glob(pattern)) if REAL.is_dir() else []
    if not files:
        pytest.skip(f"{REAL} not present")
    return files


def _count(path: Path, local: str) -> int:
    return sum(1 for el in etree.parse(str(path)).iter() if isinstance(el.tag, str) and etree.QName(el).localname == local)


def test_real_nzz_page_files() -> None:
    for xml in _real("nzz/*.page.xml"):
        (ed,) = discover([xml])
        src = ed.pages[0]
        assert src.kind == "page" and src.image_path is not None and src.image_path.suffix == ".tif"
        tp = read_page(src.path, image_path=src.image_path)
        with Image.open(src.image_path) as im:
            assert (tp.width, tp.height) == im.size
        assert len(tp.blocks) == _count(xml, "TextRegion")
        assert len(tp.lines) == _count(xml, "TextLine")
        assert len(tp.separators) == _count(xml, "SeparatorRegion")
        assert len(tp.reading_order) == _count(xml, "RegionRefIndexed")
        assert set(tp.reading_order) == {b.id for b in tp.blocks}
        for ln in tp.lines:
            x0, y0, x1, y1 = ln.bbox
            assert 0 <= x0 <= x1 <= tp.width and 0 <= y0 <= y1 <= tp.height
        text = "\n".join(ln.text for ln in tp.lines)
        assert "Zürcher" in text or "Zürich" in text


def test_real_evening_star_alto_lands_on_jpeg_pixels() -> None:
    for xml in _real("evening-star/*.alto.xml"):
        (ed,) = discover([xml])
        src = ed.pages[0]
        assert src.kind == "alto" and src.image_path is not None and src.image_path.suffix == ".jpg"
        tp = read_alto(src.path, image_path=src.image_path)
        gray = load_image(src).image
        assert gray.shape == (tp.height, tp.width)
        assert tp.dpi == pytest.approx(150, abs=0.5)  # 1/1200 inch x 0.125 = these JPEGs' pixels
        tree = etree.parse(str(xml))
        text_lines = [el for el in tree.iter("{*}TextLine") if el.find("{*}String") is not None]
        assert len(tp.lines) == len(text_lines)
        # Blocks without any text are not blocks of this page.
        assert len(tp.blocks) == len({el.getparent().get("ID") for el in text_lines})
        assert any("WASHINGTON" in ln.text for ln in tp.lines)
        # Word boxes must sit on the ink: the boxes hold more dark pixels where they are than moved up or
        # down by half a line (with a wrong scale there would be no such peak) ...
        _t, binary = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
        ink = binary.astype(bool)
        inside = np.zeros_like(ink)
        boxes = [w.bbox for ln in tp.lines for w in ln.words or []]
        for b in boxes:
            x0, y0, x1, y1 = (int(round(v)) for v in b)
            inside[y0:y1, x0:x1] = True
        at_place = ink[inside].mean()
        for dy in (-20, -10, 10, 20):
            assert ink[np.roll(inside, dy, axis=0)].mean() < at_place / 1.05, dy
        # ... and the text spans the printed page, not a corner of it (as with 300 dpi read as 150).
        xs0, ys0, xs1, ys1 = zip(*boxes, strict=True)
        assert max(xs1) - min(xs0) > 0.85 * tp.width and max(ys1) - min(ys0) > 0.8 * tp.height
