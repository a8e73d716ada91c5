"""Exports: text, JSON, NewsML-G2 2.35 (+ NITF 3.6 bodies) and ALTO 4.4, every XML file schema-validated."""

from __future__ import annotations

import copy
import os
import time
import unicodedata
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
from lxml import etree

from ocr_pipeline.errors import ConfigError
from ocr_pipeline.export import ExportOptions, export_edition, load_config, parse_formats
from ocr_pipeline.export._common import slugify, write_files, xml_safe
from ocr_pipeline.export.text import article_file_names
from ocr_pipeline.model import (
    Article,
    Block,
    BlockRef,
    Char,
    Continuation,
    Edition,
    Line,
    Page,
    ProcessingStep,
    Separator,
    load,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "schemas"
NAR = "{http://iptc.org/std/nar/2006-10-01/}"
NITF = "{http://iptc.org/std/NITF/2006-10-18/}"
ALTO = "{http://www.loc.gov/standards/alto/ns-v4#}"

HOSTILE_HEADLINE = "<b>&amp; ../../etc/passwd\x00 \x0cA\ud800 \u200fשלום\u200f 😀 /x\\y"
HOSTILE_PARA = 'Markup <i>&lt;kept</i> & "quotes" \x00NUL\x0cFF \ud800lone \u202eRTL\u202c emoji 🧪👍🏽 end'
OPTIONS = ExportOptions(provider="example-daily.com", provider_name="Example Daily",
                        copyright_holder="Example Daily Ltd", title="Example Daily")


# --- a hand-made edition: two pages (1 and 3), Chinese and English, a stitched article, hostile text ----

def cjk_line(lid: str, text: str, x: float, y: float, size: float = 30, conf: float = 0.97) -> Line:
    chars = [Char(ch, (x + i * size, y, x + (i + 1) * size, y + size), round(conf - 0.01 * (i % 3), 2))
             for i, ch in enumerate(text)]
    return Line(lid, (x, y, x + len(text) * size, y + size), text, conf, chars=chars)


def latin_line(lid: str, text: str, x: float, y: float, size: float = 24, conf: float = 0.93) -> Line:
    words, pos = [], x
    for w in text.split(" "):
        width = len(w) * size * 0.55
        words.append(Char(w, (round(pos, 2), y, round(pos + width, 2), y + size), conf))
        pos += width + size * 0.4
    return Line(lid, (x, y, round(pos - size * 0.4, 2), y + size), text, conf, words=words)


def plain_line(lid: str, text: str, x: float, y: float, w: float, h: float = 30, conf: float = 0.8) -> Line:
    return Line(lid, (x, y, x + w, y + h), text, conf)


def make_edition() -> Edition:
    prov = [ProcessingStep("ocr", "ppocr", "1.4.4", "PP-OCRv4 ch", {"det_limit": 960}),
            ProcessingStep("layout", "ocr-pipeline", "0.1.0")]
    # Page 1: masthead, Chinese lead story jumping to page 3, an English story, a photo with caption.
    p1_lines = [
        cjk_line("p1-l1", "示例日报", 900, 60, size=120),
        cjk_line("p1-l2", "城市更新让老街区焕发新活力", 100, 300, size=70),
        cjk_line("p1-l3", "本报记者 王晓明", 100, 400),
        cjk_line("p1-l4", "本报讯 近年来，老城区的改造工作", 100, 450),
        cjk_line("p1-l5", "稳步推进，居民生活条件明显改善。", 100, 490),
        cjk_line("p1-l6", "（下转第3版）", 100, 530),
        latin_line("p1-l7", "Harbour bridge reopens after repairs", 1300, 300, size=48),
        latin_line("p1-l8", "By Jane Doe", 1300, 370),
        latin_line("p1-l9", "SHANGHAI, Jan. 2 — The old harbour bridge", 1300, 410),
        latin_line("p1-l10", "reopened on Thursday after two years.", 1300, 440),
        plain_line("p1-l11", "图为改造后的老街区。", 100, 1650, 300),
    ]
    p1_blocks = [
        Block("p1-b1", "masthead", (900, 60, 1380, 180), ["p1-l1"], (1, 3)),
        Block("p1-b2", "headline", (100, 300, 1010, 370), ["p1-l2"], (0, 1), "a1"),
        Block("p1-b3", "byline", (100, 400, 580, 430), ["p1-l3"], (0, 0), "a1"),
        Block("p1-b4", "body", (100, 450, 1100, 520), ["p1-l4", "p1-l5"], (0, 1), "a1"),
        Block("p1-b5", "jump", (100, 530, 310, 560), ["p1-l6"], (0, 0), "a1"),
        Block("p1-b6", "headline", (1300, 300, 2200, 348), ["p1-l7"], (2, 4), "a2"),
        Block("p1-b7", "body", (1300, 370, 2100, 464), ["p1-l8", "p1-l9", "p1-l10"], (2, 4), "a2"),
        Block("p1-b8", "photo", (100, 700, 1100, 1600), [], (0, 1), "a1"),
        Block("p1-b9", "caption", (100, 1650, 400, 1680), ["p1-l11"], (0, 1), "a1"),
    ]
    p1 = Page(1, "page-01.png", 2400, 3400, 300.0, p1_lines, p1_blocks,
              [Separator("p1-s1", "hrule", (50, 250, 2350, 254)),
               Separator("p1-s2", "vrule", (1200, 280, 1204, 2000)),
               Separator("p1-s3", "graphic", (1300, 2100, 2000, 2600))],
              ["p1-b1", "p1-b2", "p1-b3", "p1-b4", "p1-b5", "p1-b8", "p1-b9", "p1-b6", "p1-b7"],
              provenance=prov)
    # Page 3: continuation of a1, a hostile article, and a line no block lists.
    p3_lines = [
        cjk_line("p3-l1", "（上接第1版）", 100, 100),
        cjk_line("p3-l2", "街区里新开了书店和咖啡馆。", 100, 140),
        plain_line("p3-l3", HOSTILE_HEADLINE, 1300, 100, 800, 40),
        plain_line("p3-l4", HOSTILE_PARA, 1300, 160, 900),
        plain_line("p3-l5", "orphan   line with  spaces", 100, 3000, 600),
    ]
    p3_blocks = [
        Block("p3-b1", "jump", (100, 100, 310, 130), ["p3-l1"], (0, 0), "a1"),
        Block("p3-b2", "body", (100, 140, 490, 170), ["p3-l2"], (0, 0), "a1"),
        Block("p3-b3", "headline", (1300, 100, 2100, 140), ["p3-l3"], (2, 3), "a3/../x"),
        Block("p3-b4", "body", (1300, 160, 2200, 190), ["p3-l4"], (2, 3), "a3/../x"),
    ]
    p3 = Page(3, "page-03.png", 2400, 3400, 300.0, p3_lines, p3_blocks,
              [Separator("p3-s1", "hrule", (50, 90, 2350, 93))],
              ["p3-b1", "p3-b2", "p3-b3", "p3-b4"], provenance=prov)
    a1 = Article(
        "a1", "城市更新让老街区焕发新活力", "news", [], "本报记者 王晓明", "",
        ["本报讯 近年来，老城区的改造工作稳步推进，居民生活条件明显改善。", "街区里新开了书店和咖啡馆。"],
        [1, 3],
        [BlockRef(1, b) for b in ("p1-b2", "p1-b3", "p1-b4", "p1-b5", "p1-b8", "p1-b9")]
        + [BlockRef(3, "p3-b1"), BlockRef(3, "p3-b2")],
        Continuation(1, 3, "（下转第3版）", "（上接第1版）"), 0.95, keywords=["城市更新", "老街区"],
    )
    a2 = Article(
        "a2", "Harbour bridge reopens after repairs", "news", ["Traffic"], "By Jane Doe", "SHANGHAI, Jan. 2 —",
        ["The old harbour bridge reopened on Thursday after two years.", "Traffic",
         "Cafe\u0301 owners nearby welcomed the news."],  # decomposed é: the text export must give NFC
        [1], [BlockRef(1, "p1-b6"), BlockRef(1, "p1-b7")], None, 0.9,
    )
    a3 = Article("a3/../x", HOSTILE_HEADLINE, "news", [], "By <Eve> & \x00Mallory", "", [HOSTILE_PARA],
                 [3], [BlockRef(3, "p3-b3"), BlockRef(3, "p3-b4")], None, 0.5)
    return Edition("示例日报-2025-01-02", "示例日报", "2025-01-02", "zh", [p1, p3], [a1, a2, a3],
                   [ProcessingStep("edition", "ocr-pipeline", "0.1.0", settings={"stitch": True})])


@pytest.fixture(scope="module")
def edition() -> Edition:
    return make_edition()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, edition: Edition) -> Path:
    out = tmp_path_factory.mktemp("export") / edition.id
    export_edition(edition, out, options=OPTIONS)
    return out


def schema(*parts: str) -> etree.XMLSchema:
    path = SCHEMAS.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"schemas not available at {path}")
    return etree.XMLSchema(etree.parse(str(path)))


@pytest.fixture(scope="module")
def newsml_schema() -> etree.XMLSchema:
    return schema("newsml-g2", "NewsML-G2_2.35-spec-All-Power.xsd")


@pytest.fixture(scope="module")
def nitf_schema() -> etree.XMLSchema:
    return schema("newsml-g2", "nitf-3-6.xsd")


@pytest.fixture(scope="module")
def alto_schema() -> etree.XMLSchema:
    return schema("alto", "alto-4-4.local.xsd")


def assert_valid(xsd: etree.XMLSchema, doc: etree._ElementTree | etree._Element, name: str) -> None:
    assert xsd.validate(doc), f"{name}: {xsd.error_log}"


def nitf_bodies(root: etree._Element) -> list[etree._Element]:
    return [copy.deepcopy(el) for el in root.iter(NITF + "nitf")]


def assert_newsml_valid(paths: list[Path], newsml_schema: etree.XMLSchema, nitf_schema: etree.XMLSchema) -> None:
    """Every NewsML-G2 file validates, and so does every NITF body inside it."""
    for path in paths:
        doc = etree.parse(str(path))
        assert_valid(newsml_schema, doc, path.name)
        for nitf in nitf_bodies(doc.getroot()):
            assert_valid(nitf_schema, nitf, f"nitf in {path.name}")


# --- files and validation --------------------------------------------------------------------------

def test_writes_every_format(exported: Path, edition: Edition) -> None:
    names = article_file_names(edition)
    assert load(exported / "edition.json") == edition
    assert (exported / "text" / "edition.txt").is_file()
    for stem in names.values():
        assert (exported / "text" / f"{stem}.txt").is_file()
        assert (exported / "newsml" / "items" / f"{stem}.xml").is_file()
    assert {p.name for p in (exported / "alto").iterdir()} == {"page-01.xml", "page-03.xml"}
    assert (exported / "newsml" / "edition.xml").is_file() and (exported / "newsml" / "package.xml").is_file()
    assert not list(exported.rglob("*.tmp")), "temporary files left behind"


def test_every_newsml_file_and_nitf_body_validates(exported: Path, newsml_schema: etree.XMLSchema,
                                                   nitf_schema: etree.XMLSchema) -> None:
    files = sorted((exported / "newsml").rglob("*.xml"))
    assert len(files) == 2 + 3
    bodies = 0
    for path in files:
        doc = etree.parse(str(path))
        assert_valid(newsml_schema, doc, path.name)
        for nitf in nitf_bodies(doc.getroot()):
            assert_valid(nitf_schema, nitf, f"nitf in {path.name}")
            bodies += 1
    assert bodies == 3 + 3  # one per item file, and again inside the news message


def test_every_alto_file_validates(exported: Path, alto_schema: etree.XMLSchema) -> None:
    files = sorted((exported / "alto").glob("*.xml"))
    assert files
    for path in files:
        assert_valid(alto_schema, etree.parse(str(path)), path.name)


def test_validation_would_catch_a_broken_file(exported: Path, alto_schema: etree.XMLSchema,
                                              newsml_schema: etree.XMLSchema) -> None:
    # Guards the guard: the schemas really are strict about what we write.
    alto = etree.parse(str(exported / "alto" / "page-01.xml"))
    alto.getroot().find(f"{ALTO}Description/{ALTO}MeasurementUnit").text = "furlong"
    assert not alto_schema.validate(alto)
    item = etree.parse(str(sorted((exported / "newsml" / "items").glob("*.xml"))[0]))
    meta = item.getroot().find(f"{NAR}itemMeta")
    meta.remove(meta.find(f"{NAR}provider"))
    assert not newsml_schema.validate(item)


# --- NewsML-G2 content ---------------------------------------------------------------------------------

def items_by_headline(exported: Path) -> dict[str, etree._Element]:
    out = {}
    for path in (exported / "newsml" / "items").glob("*.xml"):
        root = etree.parse(str(path)).getroot()
        out[root.findtext(f"{NAR}contentMeta/{NAR}headline")] = root
    return out


def test_news_item_metadata(exported: Path, edition: Edition) -> None:
    items = items_by_headline(exported)
    zh = items["城市更新让老街区焕发新活力"]
    en = items["Harbour bridge reopens after repairs"]
    assert zh.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-Hans"
    assert en.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"  # English story in a zh edition
    assert zh.find(f"{NAR}itemMeta/{NAR}itemClass").get("qcode") == "ninat:text"
    assert zh.find(f"{NAR}itemMeta/{NAR}pubStatus").get("qcode") == "stat:usable"
    assert zh.find(f"{NAR}itemMeta/{NAR}provider").get("uri") == "http://example-daily.com/"
    assert zh.findtext(f"{NAR}rightsInfo/{NAR}copyrightHolder/{NAR}name") == "Example Daily Ltd"
    cm = zh.find(f"{NAR}contentMeta")
    assert cm.findtext(f"{NAR}contentCreated") == edition.date
    assert cm.find(f"{NAR}language").get("tag") == "zh-Hans"
    assert [k.text for k in cm.findall(f"{NAR}keyword")] == ["城市更新", "老街区"]
    assert cm.findtext(f"{NAR}by") == "本报记者 王晓明"
    assert en.findtext(f"{NAR}contentMeta/{NAR}dateline") == "SHANGHAI, Jan. 2 —"
    body = en.find(f"{NAR}contentSet/{NAR}inlineXML")
    assert body.get("contenttype") == "application/nitf+xml"
    assert body.findtext(f".//{NITF}hl1") == "Harbour bridge reopens after repairs"
    assert body.findtext(f".//{NITF}byline") == "By Jane Doe"
    assert [p.text for p in body.iter(NITF + "p")] == [edition.articles[1].paragraphs[i] for i in (0, 2)]
    assert body.findtext(f".//{NITF}hl2") == "Traffic"  # the subhead, in place


def test_stitched_article_is_one_item_recording_both_pages(exported: Path, edition: Edition) -> None:
    zh = items_by_headline(exported)["城市更新让老街区焕发新活力"]
    assert [p.text for p in zh.iter(NITF + "p")] == edition.articles[0].paragraphs
    note = zh.findtext(f"{NAR}contentMeta/{NAR}description")
    assert "Pages 1, 3" in note and "from page 1 to page 3" in note
    msg = etree.parse(str(exported / "newsml" / "edition.xml")).getroot()
    guids = [it.get("guid") for it in msg.iter(NAR + "newsItem")]
    assert guids.count(zh.get("guid")) == 1 and len(guids) == len(edition.articles)


def test_package_groups_items_page_by_page(exported: Path, edition: Edition) -> None:
    pkg = etree.parse(str(exported / "newsml" / "package.xml")).getroot()
    gs = pkg.find(f"{NAR}groupSet")
    groups = {g.get("id"): g for g in gs.findall(f"{NAR}group")}
    root = groups[gs.get("root")]
    page_groups = [groups[r.get("idref")] for r in root.findall(f"{NAR}groupRef")]
    assert [g.findtext(f"{NAR}title") for g in page_groups] == ["Page 1", "Page 3"]
    items = items_by_headline(exported)
    guid = {h: it.get("guid") for h, it in items.items()}
    refs = [[r.get("residref") for r in g.findall(f"{NAR}itemRef")] for g in page_groups]
    assert refs == [[guid["城市更新让老街区焕发新活力"], guid["Harbour bridge reopens after repairs"]],
                    [guid[xml_safe(HOSTILE_HEADLINE)]]]
    # The message carries the same package and every item.
    msg = etree.parse(str(exported / "newsml" / "edition.xml")).getroot()
    item_set = msg.find(f"{NAR}itemSet")
    assert item_set[0].tag == NAR + "packageItem" and item_set[0].get("guid") == pkg.get("guid")
    assert sorted(i.get("guid") for i in item_set.findall(f"{NAR}newsItem")) == sorted(guid.values())


def test_guids_stable_across_runs_and_distinct(tmp_path: Path, edition: Edition) -> None:
    def guids(out: Path) -> list[str]:
        msg = etree.parse(str(out / "newsml" / "edition.xml")).getroot()
        return [el.get("guid") for el in msg.find(f"{NAR}itemSet")]

    export_edition(edition, tmp_path / "a", ["newsml"], OPTIONS)
    export_edition(make_edition(), tmp_path / "b", ["newsml"], OPTIONS.replace(copyright_holder="Other"))
    first, second = guids(tmp_path / "a"), guids(tmp_path / "b")
    assert first == second and len(set(first)) == len(first)
    assert all(g.startswith("urn:newsml:example-daily.com:20250102:") for g in first)
    assert all(" " not in g and "<" not in g for g in first)
    export_edition(edition, tmp_path / "c", ["newsml"], OPTIONS.replace(provider="other.org"))
    assert set(guids(tmp_path / "c")).isdisjoint(first)


# --- hostile text --------------------------------------------------------------------------------------

def test_hostile_text_round_trips_through_xml_minus_forbidden_chars(exported: Path) -> None:
    item = items_by_headline(exported)[xml_safe(HOSTILE_HEADLINE)]
    assert item.findtext(f".//{NITF}hl1") == xml_safe(HOSTILE_HEADLINE)
    assert item.findtext(f".//{NITF}p") == xml_safe(HOSTILE_PARA)
    assert item.findtext(f"{NAR}contentMeta/{NAR}by") == "By <Eve> & Mallory"
    kept = xml_safe(HOSTILE_PARA)
    for s in ("<i>&lt;kept</i>", "\u202eRTL\u202c", "🧪👍🏽", "NULFF", "lone"):
        assert s in kept
    raw = (exported / "newsml" / "edition.xml").read_bytes()
    assert b"<i>" not in raw and b"&lt;i&gt;&amp;lt;kept" in raw


def test_hostile_headline_gives_safe_unique_file_names(edition: Edition) -> None:
    names = article_file_names(edition)
    assert len(set(names.values())) == len(names)
    for stem in names.values():
        assert "/" not in stem and "\\" not in stem and ".." not in stem
        assert all(unicodedata.category(c)[0] != "C" for c in stem)
    assert names["a1"] == "01-城市更新让老街区焕发新活力"
    assert names["a2"] == "02-harbour-bridge-reopens-after-repairs"


@pytest.mark.parametrize("headline", [
    "../../etc/passwd", "..", ".", "a/b\\c", "\x00\x01\x1f", "CON", "   ", "", "😀😀", "\ud800",
    "很长的标题" * 40, "Ünïcödé e\u0301 – “quoted”", "\u200fשלום\u200f", "a" * 300,
])
def test_slugify_is_a_safe_bounded_file_name(headline: str, tmp_path: Path) -> None:
    slug = slugify(headline, fallback="art-7")
    assert slug and slug not in (".", "..") and ".." not in slug
    assert "/" not in slug and "\\" not in slug and "\x00" not in slug
    assert all(unicodedata.category(c)[0] not in "CZ" for c in slug)
    assert len(slug.encode("utf-8")) <= 60
    (tmp_path / f"01-{slug}.txt").write_text("ok", encoding="utf-8")  # the file system accepts it


def test_slugify_keeps_cjk_and_uses_fallback() -> None:
    assert slugify("城市更新：老街区") == "城市更新-老街区"
    assert slugify("", fallback="a-17") == "a-17"
    assert slugify("!!!", fallback="../a 17") == "a-17"
    assert slugify("Hello, World!") == "hello-world"


def test_duplicate_headlines_get_distinct_files(tmp_path: Path) -> None:
    ed = make_edition()
    ed.articles[2].headline = ed.articles[0].headline
    res = export_edition(ed, tmp_path, ["text"])
    stems = [p.stem for p in res.files["text"] if p.name != "edition.txt"]
    assert len(stems) == len(set(stems)) == 3


def test_json_round_trips_exactly_even_with_lone_surrogates(exported: Path, edition: Edition) -> None:
    assert "\ud800" in edition.articles[2].headline
    assert load(exported / "edition.json") == edition
    (exported / "edition.json").read_text(encoding="utf-8")  # valid UTF-8


# --- text ----------------------------------------------------------------------------------------------

def test_article_text_files(exported: Path, edition: Edition) -> None:
    names = article_file_names(edition)
    zh = (exported / "text" / f"{names['a1']}.txt").read_text(encoding="utf-8")
    assert zh.split("\n\n") == ["城市更新让老街区焕发新活力\n本报记者 王晓明", *edition.articles[0].paragraphs[:-1],
                                edition.articles[0].paragraphs[-1] + "\n"]
    en = (exported / "text" / f"{names['a2']}.txt").read_text(encoding="utf-8")
    assert en.startswith("Harbour bridge reopens after repairs\nBy Jane Doe\nSHANGHAI, Jan. 2 —\n\n")
    assert "Café owners" in en and "e\u0301" not in en  # NFC
    bad = (exported / "text" / f"{names['a3/../x']}.txt").read_text(encoding="utf-8")
    assert "\x00" not in bad and "\x0c" not in bad and "<b>&amp;" in bad and "🧪👍🏽" in bad
    assert unicodedata.is_normalized("NFC", bad)


def test_edition_text_in_reading_order_page_by_page(exported: Path) -> None:
    text = (exported / "text" / "edition.txt").read_text(encoding="utf-8")
    order = ["=== Page 1 ===", "城市更新让老街区焕发新活力", "本报讯 近年来", "街区里新开了书店和咖啡馆。",
             "Harbour bridge reopens", "=== Page 3 ===", "<b>&amp;"]
    positions = [text.index(s) for s in order]
    assert positions == sorted(positions)
    assert text.count("街区里新开了书店和咖啡馆") == 1  # the continuation is inside its article only


# --- ALTO content ----------------------------------------------------------------------------------------

def alto_page(exported: Path, n: int) -> etree._Element:
    return etree.parse(str(exported / "alto" / f"page-{n:02d}.xml")).getroot()


def strings_text(line: etree._Element) -> str:
    return "".join(" " if el.tag == ALTO + "SP" else el.get("CONTENT")
                   for el in line if el.tag in (ALTO + "String", ALTO + "SP"))


def test_alto_description_tags_and_structure(exported: Path, edition: Edition) -> None:
    root = alto_page(exported, 1)
    desc = root.find(f"{ALTO}Description")
    assert desc.findtext(f"{ALTO}MeasurementUnit") == "pixel"
    assert desc.findtext(f"{ALTO}sourceImageInformation/{ALTO}fileName") == "page-01.png"
    soft = [p.findtext(f"{ALTO}processingSoftware/{ALTO}softwareName") for p in desc.findall(f"{ALTO}Processing")]
    assert soft == ["ppocr", "ocr-pipeline", "ocr-pipeline"]
    first = desc.find(f"{ALTO}Processing")
    assert first.findtext(f"{ALTO}processingSoftware/{ALTO}softwareVersion") == "1.4.4"
    assert "PP-OCRv4" in first.findtext(f"{ALTO}processingSoftware/{ALTO}applicationDescription")
    tags = {t.get("ID"): t for t in root.find(f"{ALTO}Tags")}
    page = root.find(f"{ALTO}Layout/{ALTO}Page")
    assert page.get("WIDTH") == "2400" and page.get("HEIGHT") == "3400" and page.get("PHYSICAL_IMG_NR") == "1"
    ps = page.find(f"{ALTO}PrintSpace")
    blocks = {b.get("ID"): b for b in ps}
    # Every block carries its kind and its article.
    for bid, article in [("p1-b4", "a1"), ("p1-b7", "a2"), ("p1-b8", "a1")]:
        refs = [tags[r] for r in blocks[bid].get("TAGREFS").split()]
        assert [t.get("LABEL") for t in refs if t.tag == ALTO + "StructureTag"] == \
            [next(a.headline for a in edition.articles if a.id == article)]
    assert blocks["p1-b8"].tag == ALTO + "Illustration" and blocks["p1-b8"].get("TYPE") == "photo"
    assert blocks["p1-s3"].tag == ALTO + "Illustration" and blocks["p1-s3"].get("TYPE") == "graphic"
    assert blocks["p1-s1"].tag == blocks["p1-s2"].tag == ALTO + "GraphicalElement"
    assert [tags[r].get("LABEL") for r in blocks["p1-b1"].get("TAGREFS").split()] == ["masthead"]
    order = [e.get("REF") for e in root.iter(ALTO + "ElementRef")]
    assert order == edition.pages[0].reading_order
    # Page 3: the article whose id is not an XML name still gets a valid tag that its blocks point to.
    p3 = alto_page(exported, 3)
    st = [t for t in p3.find(f"{ALTO}Tags") if t.tag == ALTO + "StructureTag"]
    assert [t.get("LABEL") for t in st] == ["城市更新让老街区焕发新活力", xml_safe(HOSTILE_HEADLINE)]
    blocks3 = {b.get("ID"): b for b in p3.find(f"{ALTO}Layout/{ALTO}Page/{ALTO}PrintSpace")}
    assert st[1].get("ID") in blocks3["p3-b4"].get("TAGREFS").split()


def test_alto_lines_strings_and_glyphs(exported: Path, edition: Edition) -> None:
    root = alto_page(exported, 1)
    lines = {tl.get("ID"): tl for tl in root.iter(ALTO + "TextLine")}
    model = edition.pages[0].line_map()
    assert set(lines) == set(model)
    for lid, ln in model.items():
        assert strings_text(lines[lid]) == ln.text
        x0, y0, x1, y1 = ln.bbox
        got = [float(lines[lid].get(k)) for k in ("HPOS", "VPOS", "WIDTH", "HEIGHT")]
        assert got == pytest.approx([x0, y0, x1 - x0, y1 - y0])
    # CJK with character boxes: one String, one Glyph per character with its box.
    cjk = lines["p1-l4"]
    strings = cjk.findall(f"{ALTO}String")
    assert [s.get("CONTENT") for s in strings] == ["本报讯", "近年来，老城区的改造工作"]
    glyphs = strings[1].findall(f"{ALTO}Glyph")
    assert "".join(g.get("CONTENT") for g in glyphs) == "近年来，老城区的改造工作"
    char = model["p1-l4"].chars[4]
    assert float(glyphs[0].get("HPOS")) == char.bbox[0] and float(glyphs[0].get("GC")) == char.confidence
    # Latin with word boxes from the engine.
    words = model["p1-l9"].words
    strings = lines["p1-l9"].findall(f"{ALTO}String")
    assert [float(s.get("HPOS")) for s in strings] == pytest.approx([w.bbox[0] for w in words])
    assert all(0 <= float(s.get("WC")) <= 1 for s in root.iter(ALTO + "String"))


def test_alto_hostile_and_orphan_lines(exported: Path, edition: Edition) -> None:
    root = alto_page(exported, 3)
    lines = {tl.get("ID"): tl for tl in root.iter(ALTO + "TextLine")}
    assert strings_text(lines["p3-l4"]) == " ".join(xml_safe(HOSTILE_PARA).split())
    assert strings_text(lines["p3-l3"]) == " ".join(xml_safe(HOSTILE_HEADLINE).split())
    assert strings_text(lines["p3-l5"]) == "orphan line with spaces"  # kept though no block lists it
    # Estimated word boxes stay inside the line and in order.
    xs = [float(s.get("HPOS")) for s in lines["p3-l5"].findall(f"{ALTO}String")]
    assert xs == sorted(xs) and 100 <= xs[0] and xs[-1] < 700


def test_alto_round_trip_through_importer(exported: Path, edition: Edition) -> None:
    alto_mod = pytest.importorskip("ocr_pipeline.ingest.alto")
    for page in edition.pages:
        got = alto_mod.read_alto(exported / "alto" / f"page-{page.number:02d}.xml")
        assert (got.width, got.height) == (page.width, page.height)
        back = {ln.id: ln for ln in got.lines}
        assert set(back) == {ln.id for ln in page.lines}
        for ln in page.lines:
            assert back[ln.id].text == " ".join(xml_safe(ln.text).split())
            assert back[ln.id].bbox == pytest.approx(ln.bbox, abs=0.01)
            if ln.words:  # engine word boxes come back as they went out
                assert [(w.text, w.bbox) for w in back[ln.id].words] == [(w.text, pytest.approx(w.bbox, abs=0.01))
                                                                       for w in ln.words]
        # Text blocks keep their lines and their reading order.
        text_blocks = [b for b in page.blocks if b.kind != "photo"]
        got_blocks = {b.id: b.line_ids for b in got.blocks}
        for b in text_blocks:
            assert got_blocks[b.id] == b.line_ids
        want_order = [bid for bid in page.reading_order if bid in {b.id for b in text_blocks}]
        assert [bid for bid in got.reading_order if bid in got_blocks and bid in want_order] == want_order
    # A CJK line's words are its space-separated runs, boxed by the union of their characters.
    p1 = alto_mod.read_alto(exported / "alto" / "page-01.xml")
    line = next(ln for ln in p1.lines if ln.id == "p1-l4")
    chars = edition.pages[0].line_map()["p1-l4"].chars
    assert [w.text for w in line.words] == ["本报讯", "近年来，老城区的改造工作"]
    assert line.words[1].bbox == pytest.approx((chars[4].bbox[0], chars[4].bbox[1], chars[-1].bbox[2], chars[-1].bbox[3]))


def test_json_round_trips_hostile_text(tmp_path: Path) -> None:
    from ocr_pipeline.model import load

    ed = make_edition()
    ed.articles[0].paragraphs.append("lone \ud800 surrogate, \x00 nul, <b>&amp; 😀")
    export_edition(ed, tmp_path, ["json"])
    assert load(tmp_path / "edition.json") == ed


def test_unwritable_output_raises_export_error(tmp_path: Path) -> None:
    from ocr_pipeline.errors import ExportError

    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ExportError) as err:
        export_edition(make_edition(), blocker, ["text"])
    assert err.value.exit_code == 5


def test_a_file_that_fails_in_the_writing_threads_raises_export_error(tmp_path: Path) -> None:
    """The export files are written in threads while the next format is made: a write that fails there (a
    folder in the way of edition.json) still fails the export, from export_edition and from write_edition,
    and the other files are in place."""
    from ocr_pipeline.api import write_edition
    from ocr_pipeline.errors import ExportError

    for k, write in enumerate((lambda ed, out: export_edition(ed, out), write_edition)):
        out = tmp_path / str(k)
        (out / "edition.json").mkdir(parents=True)
        with pytest.raises(ExportError) as err:
            write(make_edition(), out)
        assert err.value.exit_code == 5 and "edition.json" in str(err.value)
        assert (out / "text" / "edition.txt").is_file() and list((out / "alto").glob("page-*.xml"))


def _files(folder: Path) -> dict[str, bytes]:
    return {str(f.relative_to(folder)): f.read_bytes() for f in sorted(folder.rglob("*")) if f.is_file()}


def _gone(self, deadline: float) -> None:  # a side process that died before it answered
    self.proc.kill()
    self.proc.wait()
    self.lock.release()


def test_alto_made_in_the_side_process_is_the_same_as_made_here(tmp_path: Path, monkeypatch, caplog) -> None:
    """The ALTO files come from the side process (the edition sent as its JSON) byte for byte as this process
    makes them; when the side process fails, or cannot be had, they are made here, the same again."""
    from ocr_pipeline.export import side

    ed = make_edition()
    # One time for the NewsML files of every export (else they differ when a second passes in between).
    opts = ExportOptions(created=datetime(2025, 1, 2, 6, 0, tzinfo=timezone.utc))
    monkeypatch.setattr(side, "available", lambda: True)
    export_edition(ed, tmp_path / "side", options=opts)
    assert side._SIDE is not None and side._SIDE[1].proc.poll() is None  # it ran, and waits for more
    monkeypatch.setattr(side, "available", lambda: False)
    export_edition(ed, tmp_path / "here", options=opts)
    assert _files(tmp_path / "side") == _files(tmp_path / "here")
    assert [f for f in _files(tmp_path / "here") if f.startswith("alto/")] == [
        f"alto/page-{p.number:02d}.xml" for p in ed.pages]

    monkeypatch.setattr(side, "available", lambda: True)
    monkeypatch.setattr(side, "_FAILURES", 0)
    monkeypatch.setattr(side._Side, "reply", _gone)  # as if it died meanwhile
    with caplog.at_level("WARNING", logger="ocr_pipeline.export.side"):
        export_edition(ed, tmp_path / "fallback", options=opts)
    assert "is gone" in caplog.text
    assert _files(tmp_path / "fallback") == _files(tmp_path / "here")
    monkeypatch.undo()
    monkeypatch.setattr(side, "_FAILURES", side._MAX_FAILURES - 1)  # one more, and it is not tried again
    monkeypatch.setattr(side._Side, "reply", _gone)
    export_edition(ed, tmp_path / "last", options=opts)
    assert not side.available() and _files(tmp_path / "last") == _files(tmp_path / "here")


def test_a_side_process_that_was_killed_is_started_again(tmp_path: Path, monkeypatch) -> None:
    from ocr_pipeline.export import side

    monkeypatch.setattr(side, "available", lambda: True)
    export_edition(make_edition(), tmp_path / "a", ["alto"])
    assert side._SIDE is not None
    first = side._SIDE[1].proc
    first.kill()
    first.wait()
    export_edition(make_edition(), tmp_path / "b", ["alto"])
    assert side._SIDE[1].proc is not first and _files(tmp_path / "a") == _files(tmp_path / "b")


def test_a_side_process_that_does_not_answer_is_stopped(tmp_path: Path, monkeypatch) -> None:
    import sys

    from ocr_pipeline.export import side

    monkeypatch.setattr(side, "available", lambda: True)
    monkeypatch.setattr(side, "_FAILURES", 0)
    monkeypatch.setattr(side, "_REPLY_SECONDS", 1.0)
    monkeypatch.setattr(side, "_COMMAND", (sys.executable, "-c", "import time; time.sleep(60)"))
    monkeypatch.setattr(side, "_SIDE", None)
    t = time.monotonic()
    export_edition(make_edition(), tmp_path / "a", ["alto"])
    assert time.monotonic() - t < 20 and side._FAILURES == 1
    monkeypatch.setattr(side, "available", lambda: False)
    export_edition(make_edition(), tmp_path / "b", ["alto"])
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    side._close()


def test_pages_the_side_process_has_not_begun_are_made_here(tmp_path: Path, monkeypatch) -> None:
    """This process, done with everything else, makes the pages from the last back while the side process makes
    them from the first on; each page is made once, by whoever claims it first, and the files are the same."""
    import shutil
    import sys

    from ocr_pipeline.export import side
    from ocr_pipeline.model import to_json_bytes

    ed = make_edition()
    monkeypatch.setattr(side, "available", lambda: False)
    export_edition(ed, tmp_path / "here", ["alto"])
    expected = _files(tmp_path / "here")
    assert len(expected) == len(ed.pages) >= 2

    # Claims settle who makes a page: the side process (from the first on) stops at one this process took.
    request = side.AltoRequest(ed, tmp_path / "split")
    assert side._claim(request.claims, 0, "side") is None
    request.help()  # every page but the first, which the side process has
    assert sorted(_files(tmp_path / "split")) == sorted(expected)[1:]
    made = side._make(to_json_bytes(ed), tmp_path / "split", request.claims)
    assert made == []  # its first page is claimed (by the side process itself, above): nothing more to make
    shutil.rmtree(request.claims)

    request = side.AltoRequest(ed, tmp_path / "side-first")
    assert side._claim(request.claims, len(ed.pages) - 1, "help") is None
    made = side._make(to_json_bytes(ed), tmp_path / "side-first", request.claims)
    assert [p.name for p in made] == [k.split("/")[1] for k in sorted(expected)[:-1]]
    shutil.rmtree(request.claims)

    # A side process that claimed a page and died writing it: its pages are made here (and the file it left
    # half written removed), not those this process took.
    request = side.AltoRequest(ed, tmp_path / "fallback")
    assert side._claim(request.claims, 0, "side") is None
    assert side._claim(request.claims, len(ed.pages) - 1, "help") is None
    (tmp_path / "fallback" / "alto").mkdir(parents=True)
    (tmp_path / "fallback" / "alto" / ".page-01.xml.k3j2h1.tmp").write_bytes(b"<?xml version")
    request.finish(None, None)
    assert sorted(_files(tmp_path / "fallback")) == sorted(expected)[:-1] and not request.claims.exists()

    # No temporary folder to be had: the claims are kept in the output folder while the pages are made.
    real_mkdtemp = side.tempfile.mkdtemp

    def no_tmp(*args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("dir") is None:
            raise PermissionError(13, "Permission denied", "/tmp")
        return real_mkdtemp(*args, **kwargs)

    monkeypatch.setattr(side.tempfile, "mkdtemp", no_tmp)
    request = side.AltoRequest(ed, tmp_path / "no-tmp")
    assert request.claims.parent == tmp_path / "no-tmp"
    request.help()
    request.finish(None, None)
    assert _files(tmp_path / "no-tmp") == expected and not request.claims.exists()
    monkeypatch.setattr(side.tempfile, "mkdtemp", real_mkdtemp)

    # A side process slow to start: this process makes every page, and the side process none.
    monkeypatch.setattr(side, "available", lambda: True)
    monkeypatch.setattr(side, "_FAILURES", 0)
    monkeypatch.setattr(side, "_SIDE", None)
    monkeypatch.setattr(side, "_COMMAND", (sys.executable, "-c", "import time; time.sleep(1.5); "
                                           "from ocr_pipeline.export.side import main; main()"))
    made_here = []
    real_write = side.AltoRequest._write_page
    monkeypatch.setattr(side.AltoRequest, "_write_page", lambda self, i: (made_here.append(i), real_write(self, i)))
    export_edition(ed, tmp_path / "slow", ["alto"])
    assert _files(tmp_path / "slow") == expected
    assert sorted(made_here) == list(range(len(ed.pages))) and side._FAILURES == 0
    side._close()


def test_an_alto_file_the_side_process_cannot_write_raises_export_error(tmp_path: Path, monkeypatch) -> None:
    from ocr_pipeline.errors import ExportError
    from ocr_pipeline.export import side

    monkeypatch.setattr(side, "available", lambda: True)
    (tmp_path / "alto").write_text("a file where the folder goes", encoding="utf-8")
    with pytest.raises(ExportError) as err:
        export_edition(make_edition(), tmp_path, ["alto"])
    assert err.value.exit_code == 5 and "alto" in str(err.value)


# --- options, CLI, re-export -------------------------------------------------------------------------

def test_options_validate_and_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        ExportOptions(provider="not a domain/")
    with pytest.raises(ConfigError):
        parse_formats("text,pdf")
    assert parse_formats("alto, TEXT,alto") == ("text", "alto")
    cfg = tmp_path / "export.toml"
    cfg.write_text('[export]\nprovider = "Paper.example"\ncopyright-holder = "P Ltd"\n'
                   'created = "2025-01-02T06:00:00Z"\n', encoding="utf-8")
    opts = load_config(cfg)
    assert (opts.provider, opts.copyright_holder, opts.timestamp()) == ("paper.example", "P Ltd", "2025-01-02T06:00:00Z")
    cfg.write_text('provder = "x.org"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="provder"):
        load_config(cfg)
    for bad in ('provider = 7', 'version = "2"', 'version = 0', 'created = "yesterday"', 'title = ['):
        cfg.write_text(bad + "\n", encoding="utf-8")
        with pytest.raises(ConfigError):
            load_config(cfg)


def test_reexport_removes_stale_files(tmp_path: Path) -> None:
    ed = make_edition()
    export_edition(ed, tmp_path, ["text", "newsml"])
    ed.articles[1].headline = "Bridge story renamed"
    res = export_edition(ed, tmp_path, ["text", "newsml"])
    assert {p.name for p in res.removed} == {"02-harbour-bridge-reopens-after-repairs.txt",
                                             "02-harbour-bridge-reopens-after-repairs.xml"}
    assert (tmp_path / "text" / "02-bridge-story-renamed.txt").is_file()


def test_reexport_through_another_path_keeps_what_it_wrote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The same folder reached through a symlink, then through a relative path: what the export wrote is
    # kept, and only a file it did not write this time is taken for a stale one.
    real = tmp_path / "real"
    ed = make_edition()
    first = export_edition(ed, real, ["text", "newsml", "alto"])
    (tmp_path / "link").symlink_to(real)
    again = export_edition(ed, tmp_path / "link", ["text", "newsml", "alto"])
    assert again.removed == []
    monkeypatch.chdir(real)
    (real / "alto" / "page-09.xml").write_text("<old/>", encoding="utf-8")
    third = export_edition(ed, Path("."), ["text", "newsml", "alto"])
    assert [p.name for p in third.removed] == ["page-09.xml"]
    assert sorted(p.name for p in (real / "text").iterdir()) == sorted(p.name for p in first.files["text"])
    assert len(list((real / "alto").iterdir())) == len(first.files["alto"])


def test_export_cli_rebuilds_from_edition_json(tmp_path: Path, newsml_schema: etree.XMLSchema) -> None:
    from click.testing import CliRunner

    from ocr_pipeline.cli import cli

    ed = make_edition()
    export_edition(ed, tmp_path, ["json"])
    cfg = tmp_path / "cfg.toml"
    cfg.write_text('provider = "cfg.example"\ncopyright-holder = "From Config"\n', encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(cli, ["export", str(tmp_path), "--format", "text,newsml,alto", "--config", str(cfg),
                              "--copyright-holder", "From CLI", "--title", "Sunday Edition"])
    assert res.exit_code == 0, res.output + repr(res.exception)
    assert "wrote" in res.output
    pkg = etree.parse(str(tmp_path / "newsml" / "package.xml"))
    assert_valid(newsml_schema, pkg, "package.xml")
    root = pkg.getroot()
    assert root.get("guid").startswith("urn:newsml:cfg.example:")
    assert root.findtext(f"{NAR}rightsInfo/{NAR}copyrightHolder/{NAR}name") == "From CLI"
    assert root.findtext(f"{NAR}itemMeta/{NAR}title") == "Sunday Edition"
    assert len(list((tmp_path / "alto").glob("page-*.xml"))) == 2
    bad = runner.invoke(cli, ["export", str(tmp_path), "--format", "docx"])
    assert bad.exit_code != 0 and isinstance(bad.exception, ConfigError)
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = runner.invoke(cli, ["export", str(empty)])
    assert missing.exit_code != 0 and "edition.json" in str(missing.exception)


def test_export_command_as_a_real_process(tmp_path: Path) -> None:
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    export_edition(make_edition(), tmp_path, ["json"])
    run = [sys.executable, "-m", "ocr_pipeline", "export", str(tmp_path)]
    ok = subprocess.run([*run, "--format", "text"], cwd=repo, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "text" / "edition.txt").is_file() and not (tmp_path / "alto").exists()
    bad = subprocess.run([*run, "--provider", "no such domain"], cwd=repo, capture_output=True, text=True, timeout=60)
    assert bad.returncode == ConfigError.exit_code and "provider" in bad.stderr


REAL = Path(__file__).resolve().parents[2] / "shared" / "real"


@pytest.mark.parametrize("name", ["1916082601-0007", "1860010201-0323"])
def test_real_archive_page_exports_valid_and_round_trips(name: str, tmp_path: Path, alto_schema: etree.XMLSchema,
                                                         newsml_schema: etree.XMLSchema,
                                                         nitf_schema: etree.XMLSchema) -> None:
    """A real Evening Star page (ALTO v2 from the archive) imported, exported as ALTO 4.4 and NewsML-G2,
    validated, and imported again."""
    alto_mod = pytest.importorskip("ocr_pipeline.ingest.alto")
    src = REAL / "evening-star" / f"{name}.alto.xml"
    if not src.is_file():
        pytest.skip(f"{src} not available")
    tp = alto_mod.read_alto(src)
    page = Page(1, f"{name}.jpg", tp.width, tp.height, tp.dpi, tp.lines, tp.blocks, tp.separators,
                tp.reading_order, provenance=tp.provenance)
    lines = page.line_map()
    articles = []
    for i, b in enumerate(tp.blocks[:40]):  # one article per block is enough to exercise the exporters
        text = [lines[lid].text for lid in b.line_ids]
        b.article_id = f"a{i}"
        b.kind = "body"
        articles.append(Article(f"a{i}", text[0], paragraphs=[" ".join(text[1:]) or text[0]], pages=[1],
                                blocks=[BlockRef(1, b.id)]))
    ed = Edition(f"evening-star-{name}", "Evening Star", f"{name[:4]}-{name[4:6]}-{name[6:8]}", "en", [page], articles)
    res = export_edition(ed, tmp_path, ["newsml", "alto"], OPTIONS)
    assert_newsml_valid(res.files["newsml"], newsml_schema, nitf_schema)
    (alto_path,) = res.files["alto"]
    assert_valid(alto_schema, etree.parse(str(alto_path)), alto_path.name)
    back = alto_mod.read_alto(alto_path)
    assert [ln.text for ln in back.lines] == [" ".join(xml_safe(ln.text).split()) for ln in page.lines]
    for a, b in zip(back.lines, page.lines, strict=True):
        assert a.bbox == pytest.approx(b.bbox, abs=0.01)
        assert [w.bbox for w in a.words] == [pytest.approx(w.bbox, abs=0.01) for w in b.words]


def test_reexport_keeps_versions_of_unchanged_items_and_bumps_changed_ones(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    ed = make_edition()
    first = OPTIONS.replace(created=datetime(2025, 1, 2, 6, 0, tzinfo=timezone.utc))
    export_edition(ed, tmp_path, ["newsml"], first)
    before = {p.name: p.read_bytes() for p in (tmp_path / "newsml" / "items").iterdir()}
    later = OPTIONS.replace(created=datetime(2025, 1, 3, 9, 30, tzinfo=timezone.utc))
    export_edition(ed, tmp_path, ["newsml"], later)
    assert {p.name: p.read_bytes() for p in (tmp_path / "newsml" / "items").iterdir()} == before

    ed.articles[1].paragraphs[0] = "The old harbour bridge reopened on Friday."
    export_edition(ed, tmp_path, ["newsml"], later)
    items = items_by_headline(tmp_path)
    changed, same = items["Harbour bridge reopens after repairs"], items["城市更新让老街区焕发新活力"]
    assert (changed.get("version"), same.get("version")) == ("2", "1")
    meta = changed.find(f"{NAR}itemMeta")
    assert meta.findtext(f"{NAR}firstCreated") == "2025-01-02T06:00:00Z"
    assert meta.findtext(f"{NAR}versionCreated") == "2025-01-03T09:30:00Z"
    assert same.find(f"{NAR}itemMeta").findtext(f"{NAR}versionCreated") == "2025-01-02T06:00:00Z"
    pkg = etree.parse(str(tmp_path / "newsml" / "package.xml")).getroot()
    assert pkg.get("version") == "2"
    refs = {r.get("residref"): r.get("version") for r in pkg.iter(f"{NAR}itemRef")}
    assert refs[changed.get("guid")] == "2" and refs[same.get("guid")] == "1"


def test_sparse_editions_still_export_valid_files(tmp_path: Path, newsml_schema: etree.XMLSchema,
                                                  nitf_schema: etree.XMLSchema, alto_schema: etree.XMLSchema) -> None:
    """Nothing but ids: an article with no text and no pages, a page with no lines, no date, no language,
    a line with no text, a block listing a missing line."""
    empty_page = Page(2, "p2.tif", 1000, 1400, lines=[Line("l1", (10, 10, 20, 20), "")],
                      blocks=[Block("9", "text", (0, 0, 5, 5), ["l1", "missing"])])
    ed = Edition("x", pages=[empty_page], articles=[Article("1"), Article("\x00", headline="\x00")])
    res = export_edition(ed, tmp_path)
    assert_newsml_valid(res.files["newsml"], newsml_schema, nitf_schema)
    for path in res.files["alto"]:
        assert_valid(alto_schema, etree.parse(str(path)), path.name)
    assert load(tmp_path / "edition.json") == ed
    assert sorted(p.name for p in res.files["text"]) == ["01-1.txt", "02-article.txt", "edition.txt"]
    assert etree.parse(str(tmp_path / "newsml" / "edition.xml")).getroot().find(f"{NAR}itemSet")[0].get(
        "guid") == "urn:newsml:ocr-pipeline.invalid:undated:x"
    nothing = export_edition(Edition("none"), tmp_path / "none")
    assert nothing.count == 1 + 1 + 2  # edition.json, edition.txt, package and message
    for path in nothing.files["newsml"]:
        assert_valid(newsml_schema, etree.parse(str(path)), path.name)


SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.mark.parametrize("name", ["zh-daily-1", "zh-daily-2", "en-daily-1"])
def test_committed_sample_editions_export_valid_files(name: str, tmp_path: Path, newsml_schema: etree.XMLSchema,
                                                       nitf_schema: etree.XMLSchema,
                                                       alto_schema: etree.XMLSchema) -> None:
    """Every file written for the committed samples' ground truth validates, and ALTO imports back."""
    truth = SAMPLES / name / "truth.json"
    if not truth.is_file():
        pytest.skip(f"{truth} not committed yet")
    ed = load(truth)
    res = export_edition(ed, tmp_path, options=OPTIONS)
    assert load(tmp_path / "edition.json") == ed
    assert_newsml_valid(res.files["newsml"], newsml_schema, nitf_schema)
    for path in res.files["alto"]:
        assert_valid(alto_schema, etree.parse(str(path)), path.name)
    assert len(res.files["newsml"]) == len(ed.articles) + 2 and len(res.files["alto"]) == len(ed.pages)
    stitched = [a for a in ed.articles if len(a.pages) > 1]
    msg = etree.parse(str(tmp_path / "newsml" / "edition.xml")).getroot()
    assert len(list(msg.iter(NAR + "newsItem"))) == len(ed.articles)
    text = (tmp_path / "text" / "edition.txt").read_text(encoding="utf-8")
    for art in ed.articles:
        for para in art.paragraphs:
            assert text.count(unicodedata.normalize("NFC", para).strip()) >= 1
    alto_mod = pytest.importorskip("ocr_pipeline.ingest.alto")
    for page in ed.pages:
        back = alto_mod.read_alto(tmp_path / "alto" / f"page-{page.number:02d}.xml")
        want = {ln.id: ln for ln in page.lines if ln.text.strip()}
        assert {ln.id: ln.text for ln in back.lines} == {i: " ".join(ln.text.split()) for i, ln in want.items()}
        for ln in back.lines:
            assert ln.bbox == pytest.approx(want[ln.id].bbox, abs=0.01)
    assert stitched, "each sample edition carries a continuation across pages"


def _passes_in_a_forked_child(check: Callable[[], object]) -> None:
    """Run ``check()`` (True: passed) in a forked child; fail if it fails, raises or hangs."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        try:
            os._exit(0 if check() else 1)
        except BaseException:
            os._exit(1)
    deadline = time.monotonic() + 30
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if done[0] == 0:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the forked child hung")
    assert os.waitstatus_to_exitcode(done[1]) == 0


def test_file_writes_in_a_forked_worker_after_the_parent_wrote(tmp_path) -> None:
    # The writing threads are the process's: a forked child inherits the pool but not its threads, and must
    # start its own rather than wait forever for threads that do not exist there.
    assert write_files([(tmp_path / "parent" / f"{i}.txt", b"p") for i in range(5)])
    _passes_in_a_forked_child(lambda: write_files([(tmp_path / "child" / f"{i}.txt", b"c") for i in range(5)]))
    assert sorted(p.read_bytes() for p in (tmp_path / "child").iterdir()) == [b"c"] * 5


def test_the_helper_thread_in_a_forked_worker_after_the_parent_used_it() -> None:
    # Like the writing threads: the pipeline's helper thread (page decoding, JPEG encoding) is the process's,
    # and a forked child starts its own instead of queueing work for a thread it does not have.
    from ocr_pipeline.pipeline import _in_background

    assert _in_background(sum, [1, 2]).result(timeout=30) == 3
    _passes_in_a_forked_child(lambda: _in_background(sum, [3, 4]).result(timeout=20) == 7)
