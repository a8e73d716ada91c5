"""discover(): folders, archives, PDFs, explicit file lists, OCR files beside their images, bad inputs."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from ocr_pipeline.ingest import discover
from ocr_pipeline.ingest.formats import natural_key, page_stem, slugify, sniff

ALTO_V3 = """<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v3#"><Layout><Page WIDTH="64" HEIGHT="64"/></Layout></alto>
"""
PAGE_2019 = """<?xml version="1.0" encoding="UTF-8"?>
<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15">
<Page imageFilename="x.tif" imageWidth="64" imageHeight="64"/></PcGts>
"""
METS = """<?xml version="1.0"?><mets xmlns="http://www.loc.gov/METS/"/>"""


def img(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", size, 255).save(path)
    return path


def pdf(path: Path, pages: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=letter)
    for i in range(pages):
        c.drawString(72, 700, f"page {i + 1}")
        c.showPage()
    c.save()
    return path


def names(ed) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{p.path.name}#{p.index}" if p.index else p.path.name for p in ed.pages]


def test_helpers() -> None:
    assert sorted(["page-10", "page-2", "page-1"], key=natural_key) == ["page-1", "page-2", "page-10"]
    assert slugify("Evening Star 1916/08/26") == "evening-star-1916-08-26"
    assert slugify("人民日报 2025-01-02") == "人民日报-2025-01-02"
    assert slugify("../..") == "edition"
    assert page_stem(Path("p1.alto.xml")) == page_stem(Path("p1.tif")) == "p1"


def test_folder_of_images_natural_order(tmp_path: Path) -> None:
    ed_dir = tmp_path / "Daily News 2025-01-02"
    for n in (10, 2, 1, 3):
        img(ed_dir / f"page-{n}.png")
    (ed_dir / "README.txt").write_text("notes")
    (ed_dir / ".hidden.png").write_bytes(b"")
    (eds,) = discover([ed_dir])
    assert eds.id == "daily-news-2025-01-02"
    assert names(eds) == ["page-1.png", "page-2.png", "page-3.png", "page-10.png"]
    assert eds.errors == [] and eds.root == ed_dir


def test_archive_of_folders_and_pdfs(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    img(root / "ed-a" / "p1.png")
    img(root / "ed-a" / "p2.png")
    pdf(root / "ed-b.pdf", 3)
    img(root / "1916" / "ed-c" / "p1.jpg")
    (root / "empty").mkdir()
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 not a pdf")
    eds = discover([root])
    by_id = {e.id: e for e in eds}
    assert set(by_id) == {"ed-a", "ed-b", "1916-ed-c", "broken"}
    assert len(by_id["ed-a"].pages) == 2
    assert [(p.kind, p.index) for p in by_id["ed-b"].pages] == [("pdf", 0), ("pdf", 1), ("pdf", 2)]
    assert names(by_id["1916-ed-c"]) == ["p1.jpg"]
    assert by_id["broken"].pages == [] and "not a readable PDF" in by_id["broken"].errors[0][1]


def test_pdf_input_and_multipage_tiff(tmp_path: Path) -> None:
    p = pdf(tmp_path / "Edition 7.pdf", 2)
    t = tmp_path / "scans" / "book.tif"
    t.parent.mkdir()
    frames = [Image.new("L", (64, 64), 255) for _ in range(3)]
    frames[0].save(t, save_all=True, append_images=frames[1:])
    e1, e2 = discover([p, t.parent])
    assert e1.id == "edition-7" and e1.root == p and len(e1.pages) == 2
    assert e2.id == "scans" and [pg.index for pg in e2.pages] == [0, 1, 2]


def test_explicit_files_form_one_edition(tmp_path: Path) -> None:
    files = [img(tmp_path / f"zhdaily-{n:02d}.png") for n in (3, 1, 2)]
    (ed,) = discover(files)
    assert ed.id == "zhdaily"
    assert names(ed) == ["zhdaily-01.png", "zhdaily-02.png", "zhdaily-03.png"]


def test_explicit_generic_names_take_folder_name(tmp_path: Path) -> None:
    folder = tmp_path / "Gazette"
    files = [img(folder / f"page-{n}.png") for n in (2, 10, 1)]
    (ed,) = discover(files)
    assert ed.id == "gazette" and names(ed) == ["page-1.png", "page-2.png", "page-10.png"]


def test_explicit_files_separately(tmp_path: Path) -> None:
    a, b = img(tmp_path / "a.png"), pdf(tmp_path / "b.pdf", 2)
    eds = discover([a, b], group_files=False)
    assert [e.id for e in eds] == ["a", "b"] and [len(e.pages) for e in eds] == [1, 2]


def test_missing_inputs_do_not_stop_the_others(tmp_path: Path) -> None:
    good = img(tmp_path / "in" / "p1.png")
    other = img(tmp_path / "folder" / "x1.png")
    eds = discover([good, tmp_path / "in" / "p2.png", tmp_path / "no-such-folder", other.parent])
    assert [e.id for e in eds] == ["in", "no-such-folder", "folder"]
    files_ed, missing, folder = eds
    assert names(files_ed) == ["p1.png"]
    assert files_ed.errors and files_ed.errors[0][0].endswith("p2.png") and "not found" in files_ed.errors[0][1]
    assert missing.pages == [] and "not found" in missing.errors[0][1]
    assert names(folder) == ["x1.png"] and folder.errors == []


def test_empty_folder_is_an_error_not_an_exception(tmp_path: Path) -> None:
    (tmp_path / "nothing").mkdir()
    (ed,) = discover([tmp_path / "nothing"])
    assert ed.pages == [] and "no page images" in ed.errors[0][1]


def test_unknown_explicit_file_is_an_error(tmp_path: Path) -> None:
    page = img(tmp_path / "p1.png")
    notes = tmp_path / "notes.xml"
    notes.write_text(METS)
    (ed,) = discover([page, notes])
    assert names(ed) == ["p1.png"] and "neither ALTO nor PAGE" in ed.errors[0][1]


def test_edition_ids_unique(tmp_path: Path) -> None:
    img(tmp_path / "a" / "daily" / "p1.png")
    img(tmp_path / "b" / "daily" / "p1.png")
    assert [e.id for e in discover([tmp_path / "a" / "daily", tmp_path / "b" / "daily"])] == ["daily", "daily-2"]
    # Inside an archive the path below it names the edition: same-named children of dated folders differ.
    pdf(tmp_path / "arch" / "2025-01-02" / "digital.pdf", 1)
    pdf(tmp_path / "arch" / "2025-01-03" / "digital.pdf", 1)
    assert [e.id for e in discover([tmp_path / "arch"])] == ["2025-01-02-digital", "2025-01-03-digital"]


def test_ocr_files_recognised_by_content_and_paired(tmp_path: Path) -> None:
    ed = tmp_path / "ed"
    img(ed / "p1.png")
    (ed / "p1.alto.xml").write_text(ALTO_V3)
    img(ed / "p2.png")
    img(ed / "p3.tif")
    (ed / "p3.xml").write_text(PAGE_2019)
    (ed / "p4.xml").write_text(ALTO_V3)  # no image beside it
    (ed / "mets.xml").write_text(METS)
    (pages_ed,) = discover([ed])
    got = [(p.path.name, p.kind, p.image_path.name if p.image_path else None) for p in pages_ed.pages]
    assert got == [
        ("p1.alto.xml", "alto", "p1.png"),
        ("p2.png", "image", None),
        ("p3.xml", "page", "p3.tif"),
        ("p4.xml", "alto", None),
    ]
    assert sniff(ed / "p3.xml") == "page" and sniff(ed / "mets.xml") is None
    # Content decides, not the name: ALTO in a file without suffix is still ALTO.
    (ed / "noext").write_text(ALTO_V3)
    assert sniff(ed / "noext") == "alto"


def test_explicit_ocr_file_finds_image_beside(tmp_path: Path) -> None:
    img(tmp_path / "scan-7.jpg")
    x = tmp_path / "scan-7.page.xml"
    x.write_text(PAGE_2019)
    (ed,) = discover([x])
    assert ed.pages[0].kind == "page" and ed.pages[0].image_path == tmp_path / "scan-7.jpg"


def test_symlink_loop_terminates(tmp_path: Path) -> None:
    root = tmp_path / "root"
    img(root / "ed" / "p1.png")
    (root / "ed" / "loop").symlink_to(root)
    eds = discover([root])
    assert [e.id for e in eds] == ["ed"]
