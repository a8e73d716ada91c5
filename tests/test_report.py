"""Quality report: flags, score, and the structure of report.html / report.json on hand-built editions.

The editions are drawn here with Pillow (Chinese and English text written for these tests), so the page
images and the model's coordinates agree; one page is failed and has no image.
"""

from __future__ import annotations

import dataclasses
import io
import json
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import html as lhtml
from PIL import Image, ImageDraw, ImageFont

from ocr_pipeline.model import (
    Article,
    Block,
    BlockRef,
    Char,
    Continuation,
    Edition,
    Flag,
    Line,
    Page,
    bbox_union,
    dump,
)
from ocr_pipeline.report import build_report, compute_flags, quality_score
from ocr_pipeline.report.flags import collect_flags
from ocr_pipeline.report.marks import article_lines, mark_paragraphs
from ocr_pipeline.report.score import align_confidences, edition_stats
from tests.render import CJK_BOLD, CJK_FONT, EN_WORDS, LATIN_BOLD, LATIN_FONT, ZH_TEXT

HOSTILE = '<script>alert(1)</script> Smith &amp; Sons "quoted" & <b>bold</b>'
ROOT = Path(__file__).resolve().parents[1]


# --- drawing hand-built editions ------------------------------------------------------------------------

@dataclass
class BlockSpec:
    kind: str
    x: int
    y: int
    lines: list[str]
    article: str | None = None
    size: int = 26
    confidence: float = 0.97
    low_lines: dict[int, float] = field(default_factory=dict)  # line index -> line confidence
    low_chars: dict[int, list[int]] = field(default_factory=dict)  # line index -> char indexes at 0.3


_FONTS: dict[tuple[str, int, bool], ImageFont.FreeTypeFont] = {}


def _font(text: str, size: int, bold: bool) -> ImageFont.FreeTypeFont:
    cjk = any("\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" for c in text)
    path = (CJK_BOLD if bold else CJK_FONT) if cjk else (LATIN_BOLD if bold else LATIN_FONT)
    key = (path, size, bold)
    if key not in _FONTS:
        _FONTS[key] = ImageFont.truetype(path, size, index=2) if cjk else ImageFont.truetype(path, size)
    return _FONTS[key]


def render_page(number: int, specs: list[BlockSpec], width: int, height: int,
                source: str | None = None) -> tuple[Page, Image.Image]:
    """Draw the blocks' lines and build the page model with the drawn boxes."""
    img = Image.new("L", (width, height), 250)
    d = ImageDraw.Draw(img)
    page = Page(number=number, source=source or f"page-{number:02d}.png", width=width, height=height)
    for bi, spec in enumerate(specs):
        bold = spec.kind in ("headline", "masthead")
        y = spec.y
        ids = []
        for li, text in enumerate(spec.lines):
            font = _font(text, spec.size, bold)
            box = d.textbbox((spec.x, y), text, font=font)
            d.text((spec.x, y), text, font=font, fill=20)
            conf = spec.low_lines.get(li, spec.confidence)
            chars = None
            if li in spec.low_chars:
                # Per-character boxes split evenly over the line (enough for the report's needs).
                step = (box[2] - box[0]) / max(1, len(text))
                chars = [Char(c, (box[0] + k * step, box[1], box[0] + (k + 1) * step, box[3]),
                              0.3 if k in spec.low_chars[li] else 0.98) for k, c in enumerate(text)]
            lid = f"p{number}-l{len(page.lines) + 1:03d}"
            page.lines.append(Line(lid, tuple(float(v) for v in box), text, conf, chars=chars))  # type: ignore[arg-type]
            ids.append(lid)
            y += int(spec.size * 1.5)
        if spec.kind == "photo":
            box = (spec.x, spec.y, spec.x + 300, spec.y + 200)
            d.rectangle(box, fill=160)
            bbox = tuple(float(v) for v in box)
        else:
            bbox = bbox_union(ln.bbox for ln in page.lines if ln.id in ids)
        page.blocks.append(Block(f"b{bi + 1:03d}", spec.kind, bbox, ids, article_id=spec.article))  # type: ignore[arg-type]
    page.reading_order = [b.id for b in page.blocks]
    return page, img


def zh_lines(n: int, per: int, start: int = 0) -> list[str]:
    return ["".join(ZH_TEXT[(start + i * per + k) % len(ZH_TEXT)] for k in range(per)) for i in range(n)]


def en_lines(n: int, per: int, start: int = 0) -> list[str]:
    return [" ".join(EN_WORDS[(start + i * per + k) % len(EN_WORDS)] for k in range(per)) for i in range(n)]


def articles_from_pages(pages: list[Page]) -> list[Article]:
    """One article per article id on the pages: headline from its headline block, one paragraph per
    body/caption block (as the text stage would join them)."""
    arts: dict[str, Article] = {}
    for page in pages:
        lm = page.line_map()
        for b in page.blocks:
            if b.article_id is None:
                continue
            a = arts.setdefault(b.article_id, Article(id=b.article_id))
            a.blocks.append(BlockRef(page.number, b.id))
            if page.number not in a.pages:
                a.pages.append(page.number)
            texts = [lm[i].text for i in b.line_ids]
            # Chinese lines join without a space, Latin ones with one (as the text stage does).
            text = ("" if any("\u4e00" <= c <= "\u9fff" for c in "".join(texts)) else " ").join(texts)
            if b.kind == "headline":
                a.headline = text
            elif b.kind in ("body", "caption"):
                a.paragraphs.append(text)
    for a in arts.values():
        lines = [ln for p in pages for b in p.blocks if b.article_id == a.id for ln in p.lines
                 if ln.id in b.line_ids]
        total = sum(len(ln.text) for ln in lines)
        a.confidence = sum(ln.confidence * len(ln.text) for ln in lines) / total if total else 1.0
    return list(arts.values())


def make_edition(folder: Path, *, width: int = 1200, height: int = 1700) -> Edition:
    """Three pages: 1 Chinese, 2 English, 3 failed (no image). Saves edition.json and pages/page-NN.jpg."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pages").mkdir(exist_ok=True)
    col = (width - 160) // 3
    p1 = [
        BlockSpec("masthead", 80, 40, ["河湾日报"], size=56),
        BlockSpec("headline", 80, 170, ["社区食堂开业百日 老人吃饭不再发愁"], "a1", size=44),
        BlockSpec("body", 80, 260, zh_lines(14, 12), "a1", low_chars={3: [2, 3, 4]}),
        BlockSpec("body", 80 + col, 260, zh_lines(12, 12, 40), "a1", low_lines={5: 0.55}),
        BlockSpec("jump", 80 + col, 260 + 13 * 39, ["（下转第5版）"], "a1"),
        BlockSpec("headline", 80 + 2 * col, 170, [HOSTILE[:25], HOSTILE[26:]], "a2", size=26),
        BlockSpec("body", 80 + 2 * col, 270, en_lines(10, 3), "a2", low_lines={2: 0.42, 6: 0.71},
                  confidence=0.72),
        BlockSpec("body", 80, 900, zh_lines(6, 20, 7), None),  # text in no article
        BlockSpec("folio", 80, height - 80, ["第1版"], size=22),
    ]
    p2 = [
        BlockSpec("headline", 80, 80, ["Kitchen Feeds the River District"], "a3", size=44),
        BlockSpec("body", 80, 170, en_lines(16, 3, 3), "a3", low_chars={4: [0, 1, 2, 3]}),
        BlockSpec("body", 80 + col, 170, en_lines(16, 3, 50), "a3"),
        BlockSpec("body", 80 + 2 * col, 170, en_lines(8, 3, 90), "a4"),  # headline-less
        BlockSpec("photo", 80 + 2 * col, 600, [], "a5"),
        BlockSpec("caption", 80 + 2 * col, 820, en_lines(2, 3, 20), "a5", size=20),
        BlockSpec("folio", 80, height - 80, ["Page 2"], size=22),
    ]
    page1, img1 = render_page(1, p1, width, height)
    page2, img2 = render_page(2, p2, width, height)
    page3 = Page(3, "page-03.png", width, height, status="failed",
                 errors=["EngineError: recognition crashed on this page (out of memory)"])
    img1.save(folder / "pages" / "page-01.jpg", quality=85)
    img2.save(folder / "pages" / "page-02.jpg", quality=85)
    arts = articles_from_pages([page1, page2])
    by_id = {a.id: a for a in arts}
    by_id["a1"].continuation = Continuation(1, 5, jump_out="（下转第5版）", matched=False)
    by_id["a1"].flags.append(Flag("unmatched-jump-out", "jump line '（下转第5版）' on page 1: no continuation "
                                  "found on page 5", 0.8, page=1, block_id="b005"))
    by_id["a3"].flags.append(Flag("join-no-word", "join formed no word (text may be lost): kitch|ens",
                                  0.6, line_id=page2.lines[9].id))
    by_id["a5"].kind = "photo"
    ed = Edition(id="test-edition-1", title="River Daily", date="2025-01-02", language="zh",
                 pages=[page1, page2, page3], articles=arts)
    dump(ed, folder / "edition.json")
    return ed


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Edition]:
    folder = tmp_path_factory.mktemp("report") / "test-edition-1"
    ed = make_edition(folder)
    build_report(folder)
    return folder, ed


# --- flags and score ------------------------------------------------------------------------------------

def test_flags_cover_each_case_with_reason_and_place(built: tuple[Path, Edition]) -> None:
    _, ed = built
    flags = compute_flags(ed)
    codes = [f.code for f in flags]
    for code in ("page-failed", "unmatched-jump-out", "join-no-word", "unassigned-block", "no-headline",
                 "low-confidence-line", "low-confidence-article"):
        assert code in codes, code
    assert all(f.message for f in flags)
    sev = [f.severity for f in flags]
    assert sev == sorted(sev, reverse=True)
    assert flags[0].code == "page-failed" and "out of memory" in flags[0].message and flags[0].page == 3
    # The jump flag from the edition stage is kept once (not duplicated from the continuation).
    assert codes.count("unmatched-jump-out") == 1
    p1 = ed.page(1)
    unassigned = [f for f in flags if f.code == "unassigned-block"]
    assert [(f.page, f.block_id) for f in unassigned] == [
        (1, b.id) for b in p1.blocks if b.article_id is None and b.kind not in ("masthead", "folio")]
    # A line-only flag from the text stage gets its page and block filled in.
    join = next(f for f in flags if f.code == "join-no-word")
    assert join.page == 2 and join.block_id in {b.id for b in ed.page(2).blocks if join.line_id in b.line_ids}
    low_lines = {f.line_id for f in flags if f.code == "low-confidence-line"}
    expect = {ln.id for p in ed.pages for ln in p.lines if ln.confidence < 0.8}
    assert low_lines == expect and expect
    # The photo has a caption article: not flagged; no flag for masthead or folio.
    kinds = {b.id: b.kind for b in p1.blocks}
    assert not any(f.block_id and kinds.get(f.block_id) in ("masthead", "folio") for f in flags if f.page == 1)
    assert "unassigned-photo" not in codes
    # The headline-less article: flagged by the report since no earlier stage did.
    nh = [r for r in collect_flags(ed) if r.flag.code == "no-headline"]
    assert [r.article_id for r in nh] == ["a4"]
    # Stricter threshold -> more low-confidence flags.
    assert len(compute_flags(ed, low_confidence=0.99)) > len(flags)


def test_existing_flags_are_not_duplicated_and_get_a_place() -> None:
    page = Page(1, "p1.png", 100, 100, lines=[Line("l1", (0, 0, 50, 10), "text")],
                blocks=[Block("b7", "body", (0, 0, 50, 10), ["l1"], article_id="a")])
    ed = Edition("e", pages=[page],
                 articles=[Article("a", kind="news", pages=[1], blocks=[BlockRef(1, "b7")],
                                   flags=[Flag("no-headline", "article without a headline", page=1)])])
    flags = compute_flags(ed)
    assert [f.code for f in flags] == ["no-headline"]
    # The layout stage gave only the page: the report points at the article's block there.
    assert flags[0].block_id == "b7"
    assert ed.articles[0].flags[0].block_id is None  # the edition itself is not changed


def test_sparse_page_flag() -> None:
    def page(n: int, nlines: int) -> Page:
        p = Page(n, f"{n}.png", 1000, 1000)
        p.lines = [Line(f"l{i}", (0, i * 10, 100, i * 10 + 9), "abcdefghij") for i in range(nlines)]
        p.blocks = [Block("b1", "body", (0, 0, 100, 1000), [ln.id for ln in p.lines], article_id="a")]
        return p

    ed = Edition("e", pages=[page(1, 40), page(2, 44), page(3, 5), page(4, 38)], articles=[Article("a", "h")])
    sparse = [f for f in compute_flags(ed) if f.code == "sparse-page"]
    assert [f.page for f in sparse] == [3]
    assert "%" in sparse[0].message


def test_unmatched_continuation_without_flag_is_flagged() -> None:
    art = Article("a", "Headline", kind="continuation", pages=[2],
                  continuation=Continuation(0, 2, jump_in="Continued from Page 9", matched=False))
    ed = Edition("e", pages=[Page(2, "p.png", 10, 10)], articles=[art])
    flags = compute_flags(ed)
    assert [f.code for f in flags] == ["unmatched-jump-in"]
    assert "Continued from Page 9" in flags[0].message and flags[0].page == 2


def test_quality_score_formula(built: tuple[Path, Edition]) -> None:
    _, ed = built
    flags = compute_flags(ed)
    stats = edition_stats(ed)
    ok = [p for p in ed.pages if p.status != "failed"]
    serious = [f for f in flags if f.severity >= 0.6
               and f.code not in ("low-confidence-line", "low-confidence-article", "page-failed")]
    assert serious
    expect = stats.mean * len(ok) / len(ed.pages) * max(0.5, 1 - 0.1 * len(serious) / len(ok))
    assert quality_score(ed) == pytest.approx(expect)
    assert 0.0 < quality_score(ed) < stats.mean

    # Repairing the failed page raises the score; failing every page drops it to zero.
    healed = dataclasses.replace(ed, pages=ok)
    assert quality_score(healed) > quality_score(ed)
    dead = dataclasses.replace(ed, pages=[dataclasses.replace(p, status="failed") for p in ed.pages])
    assert quality_score(dead) == 0.0
    assert quality_score(Edition("empty")) == 0.0


def test_per_character_confidences_mark_only_those_characters() -> None:
    line = Line("l1", (0, 0, 100, 10), "河湾新区,社区食堂", 0.9,
                chars=[Char(c, (0, 0, 1, 1), 0.2 if k in (5, 6) else 0.99) for k, c in enumerate("河湾新区,社区食堂")])
    # The text stage normalised the comma to full width and dropped nothing: the marks follow the chars.
    (segs,) = mark_paragraphs(["河湾新区，社区食堂"], [line], 0.8)
    assert "".join(s.text for s in segs) == "河湾新区，社区食堂"
    assert [s.text for s in segs if s.low] == ["社区"]
    assert segs[1].confidence == pytest.approx(0.2)
    # Without char boxes, a low line marks its characters wholesale.
    low = Line("l2", (0, 0, 100, 10), "kitchen opens", 0.5)
    (segs,) = mark_paragraphs(["the kitchen opens"], [Line("l0", (0, 0, 1, 1), "the", 0.99), low], 0.8)
    assert [s.text for s in segs if s.low] == ["kitchen opens"]


def _chars(text: str, low: str, conf: float = 0.3) -> list[Char]:
    """Character boxes of ``text``: those of the first ``low`` in it at ``conf``, the rest at 0.99."""
    at = text.index(low)
    return [Char(c, (0, 0, 1, 1), conf if at <= k < at + len(low) else 0.99) for k, c in enumerate(text)]


def test_marks_follow_text_set_out_of_the_lines_order() -> None:
    """The text stage may move text back (a dateline printed after the first word of a story, a block taken
    out of turn): the characters still find their line characters, and every low one is marked."""
    first = "Sea level in the harbor rose faster than the survey expected last spring."
    second = "PORT ALDER The council will vote on a new seawall in March."
    lines = [Line("l1", (0, 0, 1, 1), first, 0.9, chars=_chars(first, "survey")),
             Line("l2", (0, 0, 1, 1), second, 0.9, chars=_chars(second, "seawall"))]
    (segs,) = mark_paragraphs([f"{second} {first}"], lines, 0.8)
    assert [s.text.strip() for s in segs if s.low] == ["seawall", "survey"]
    assert "".join(s.text for s in segs) == f"{second} {first}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_reordered_text_finds_its_own_pieces(lang: str) -> None:
    """Pieces cut into blocks and the blocks set in another order, as the text stage may: nearly every
    character is aligned to the very piece it came from (each piece's confidence names it). Greedy, so a
    character or two where a block begins may take a like one nearby; aligning only forward lost whole blocks."""
    rng = random.Random(11)
    source = ZH_TEXT if lang == "zh" else " ".join(EN_WORDS)
    cuts = sorted(rng.sample(range(1, len(source) - 1), 5))
    blocks = [source[a:b].strip() for a, b in zip([0, *cuts], [*cuts, len(source)], strict=True)]
    pieces = [(c, k / 10_000) for k, c in enumerate(c for b in blocks for c in b if not c.isspace())]
    order = [4, 1, 5, 0, 3, 2]
    text = (" " if lang == "en" else "").join(blocks[k] for k in order)
    start = [sum(len(b.replace(" ", "")) for b in blocks[:k]) for k in range(len(blocks))]
    want = [pieces[start[k] + n][1] for k in order for n in range(len(blocks[k].replace(" ", "")))]
    aligned = align_confidences(text, pieces)
    assert all(c is None for c, ch in zip(aligned, text, strict=True) if ch.isspace())
    got = [c for c, ch in zip(aligned, text, strict=True) if not ch.isspace()]
    assert sum(g == w for g, w in zip(got, want, strict=True)) >= 0.9 * len(want)  # forward only: under 0.1


def test_a_storys_captions_are_not_aligned_with_its_paragraphs() -> None:
    """A news article's caption is not in its paragraphs (``layout.compose``), so its characters do not lend
    their confidences to the story's; a photo article's caption is its text."""
    caption = Line("c1", (0, 0, 1, 1), "The harbor pier at dawn.", 0.3)
    body = Line("b1", (0, 0, 1, 1), "The harbor pier opens at dawn on Monday.", 0.97,
                chars=_chars("The harbor pier opens at dawn on Monday.", "Monday"))
    page = Page(1, "p.png", 100, 100, lines=[caption, body],
                blocks=[Block("k1", "caption", (0, 0, 1, 1), ["c1"]), Block("k2", "body", (0, 0, 1, 1), ["b1"])])
    refs = [BlockRef(1, "k1"), BlockRef(1, "k2")]
    story = Article("a1", paragraphs=[body.text], blocks=refs)
    assert [ln.id for ln in article_lines(story, {1: page})] == ["b1"]
    (segs,) = mark_paragraphs(story.paragraphs, article_lines(story, {1: page}), 0.8)
    assert [s.text for s in segs if s.low] == ["Monday"]
    photo = Article("a2", kind="photo", paragraphs=[caption.text], blocks=refs[:1])
    (segs,) = mark_paragraphs(photo.paragraphs, article_lines(photo, {1: page}), 0.8)
    assert [s.text for s in segs if s.low] == [caption.text]


# --- report.html / report.json --------------------------------------------------------------------------

def _doc(folder: Path) -> lhtml.HtmlElement:
    return lhtml.fromstring((folder / "report.html").read_text(encoding="utf-8"))


def test_html_has_every_article_flag_and_block(built: tuple[Path, Edition]) -> None:
    folder, ed = built
    doc = _doc(folder)
    ids = set(doc.xpath("//@id"))
    for a in ed.articles:
        node = doc.xpath(f'//section[@id="articles"]//article[h3 and contains(@id, "art-{a.id}")]')
        assert len(node) == 1, a.id
        if a.headline:
            assert node[0].xpath("string(h3)").strip() == a.headline.strip()
        pages = f"page{'s' if len(a.pages) != 1 else ''} {', '.join(map(str, a.pages))} ·"
        assert pages in " ".join(node[0].xpath('string(div[@class="meta"])').split()), a.id
    flags = compute_flags(ed)
    rows = doc.xpath('//table[@class="flags"]/tbody/tr')
    assert len(rows) == len(flags)
    for row, f in zip(rows, flags, strict=True):
        assert row.xpath("string(td[2])").strip() == f.code
        assert row.xpath("string(td[5])").strip() == " ".join(f.message.split())
        target = row.xpath("td[2]/a/@href")[0]
        assert target.startswith("#") and target[1:] in ids
    # Block flags link to the block's shape on its page.
    jump = next(r for r, f in zip(rows, flags, strict=True) if f.code == "unmatched-jump-out")
    shape = doc.get_element_by_id(jump.xpath("td[2]/a/@href")[0][1:])
    assert shape.tag == "rect" and shape.get("data-block-id") == "b005"
    assert shape.xpath("ancestor::article[1]/@id") == ["page-1"]
    # One shape per block on each page with an overlay, block ids the same on both pages but anchors distinct.
    for page in ed.pages:
        art = doc.get_element_by_id(f"page-{page.number}")
        shapes = art.xpath(".//svg//*[@data-block-id]")
        assert sorted(s.get("data-block-id") for s in shapes) == sorted(b.id for b in page.blocks)
        assert all(s.tag == "rect" for s in shapes)
        assert len(art.xpath('.//svg//*[@class="ln"]')) == sum(
            1 for ln in page.lines if ln.confidence < 0.8)
        # Reading-order numbers.
        assert [t.text for t in art.xpath(".//svg//g[@class='ord']/text")] == [
            str(i + 1) for i in range(len(page.reading_order))]
    assert len([i for i in doc.xpath("//@id")]) == len(ids)  # ids unique


def test_html_is_self_contained_with_thumbnails(built: tuple[Path, Edition]) -> None:
    folder, ed = built
    text = (folder / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"https?:|//cdn|src=\"//|href=\"//|@import|url\(", text, re.I)
    doc = _doc(folder)
    imgs = doc.xpath("//figure//img")
    assert len(imgs) == 2  # page 3 failed and has no image
    for img in imgs:
        assert img.get("src").startswith("data:image/jpeg;base64,")
        assert int(img.get("width")) <= 700
    hrefs = doc.xpath("//figure/a/@href")
    assert hrefs == ["pages/page-01.jpg", "pages/page-02.jpg"]
    assert all((folder / h).is_file() for h in hrefs)
    assert [s.get("src") for s in doc.xpath("//script")] == [None]
    assert not doc.xpath("//link | //iframe | //object | //embed")
    failed = doc.get_element_by_id("page-3")
    assert "out of memory" in failed.text_content() and "failed" in failed.get("class")
    # Two 1200 px pages make a small report.
    assert (folder / "report.html").stat().st_size < 600_000


def test_hostile_text_is_escaped(built: tuple[Path, Edition]) -> None:
    folder, ed = built
    text = (folder / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&amp;amp;" in text  # the literal "&amp;" of the headline, escaped
    doc = _doc(folder)
    assert len(doc.xpath("//script")) == 1
    assert not doc.xpath("//b")
    head = doc.xpath('//section[@id="articles"]//h3[contains(., "alert(1)")]')
    assert len(head) == 1 and "Smith &amp; Sons" in head[0].text_content()


def test_low_confidence_characters_are_marked(built: tuple[Path, Edition]) -> None:
    folder, ed = built
    doc = _doc(folder)
    marks = doc.xpath('//section[@id="articles"]//mark[@class="lc"]')
    assert marks
    a3 = next(a for a in ed.articles if a.id == "a3")
    line = next(ln for ln in ed.page(2).lines if ln.chars)
    low = "".join(c.text for c in line.chars or [] if c.confidence < 0.8).replace(" ", "")
    a3_marks = "".join(m.text_content() for m in doc.xpath(f'//article[contains(@id, "art-{a3.id}")]//mark'))
    assert low and low in a3_marks.replace(" ", "")
    # A whole low line of article a2 is marked: its characters' text shows up in a mark.
    a2_low = next(ln for ln in ed.page(1).lines if ln.confidence < 0.5)
    a2_marks = " ".join(m.text_content() for m in doc.xpath('//article[contains(@id, "art-a2")]//mark'))
    assert a2_low.text in a2_marks


def test_report_json_matches_html_and_flags(built: tuple[Path, Edition]) -> None:
    folder, ed = built
    data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    summary = build_report(folder)
    assert data["summary"] == summary.figures()
    assert data["summary"]["quality_score"] == pytest.approx(quality_score(ed), abs=1e-4)
    assert data["summary"]["failed_pages"] == 1 and data["summary"]["unmatched_jumps"] == 1
    assert data["summary"]["suspicious_joins"] == 1
    assert [f["code"] for f in data["flags"]] == [f.code for f in compute_flags(ed)]
    assert {a["id"] for a in data["articles"]} == {a.id for a in ed.articles}
    assert [p["image"] for p in data["pages"]] == ["pages/page-01.jpg", "pages/page-02.jpg", None]
    doc = _doc(folder)
    assert doc.get_element_by_id("quality-score").text == f"{summary.quality_score:.3f}"


def test_rebuild_is_deterministic(built: tuple[Path, Edition]) -> None:
    folder, _ = built
    first = (folder / "report.html").read_bytes()
    build_report(folder)
    assert (folder / "report.html").read_bytes() == first
    assert not list(folder.glob(".*.tmp"))


def test_thumbnails_started_before_the_exports_give_the_same_report(built: tuple[Path, Edition],
                                                                    tmp_path: Path) -> None:
    """api.write_edition decodes the thumbnails while it writes the exports: the same report as building it
    on its own."""
    from ocr_pipeline.api import write_edition

    folder, ed = built
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    write_edition(ed, copy)
    assert (copy / "report.html").read_bytes() == (folder / "report.html").read_bytes()
    assert (copy / "alto" / "page-01.xml").is_file()


def test_thumbnail_made_with_the_page_image_is_the_one_embedded(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    import base64

    import cv2
    import numpy as np

    from ocr_pipeline.report.build import THUMB_BUDGET, make_thumbnail, thumbnail_file

    folder = tmp_path / "ed"
    make_edition(folder)
    page1 = folder / "pages" / "page-01.jpg"
    with Image.open(page1) as im:
        gray = np.asarray(im.convert("L"))
    thumb = make_thumbnail(gray)
    assert thumb is not None and len(thumb) <= THUMB_BUDGET
    with Image.open(io.BytesIO(thumb)) as im:
        assert im.size == (600, 850) and im.mode == "L"
    # A page narrower than a thumbnail keeps its size; noise, which compresses badly, gets the lowest quality.
    noise = np.random.default_rng(0).integers(0, 256, (900, 580, 3), dtype=np.uint8)
    small = make_thumbnail(noise)
    assert small == cv2.imencode(".jpg", noise, [cv2.IMWRITE_JPEG_QUALITY, 40])[1].tobytes()
    with Image.open(io.BytesIO(small)) as im:
        assert im.size == (580, 900) and im.mode == "RGB"

    assert make_thumbnail(np.zeros((0, 0), np.uint8)) is None  # no page: no thumbnail, and no error

    thumbnail_file(page1).write_bytes(thumb)
    build_report(folder)
    srcs = _doc(folder).xpath("//figure//img/@src")
    assert srcs[0] == "data:image/jpeg;base64," + base64.b64encode(thumb).decode("ascii")
    decoded = srcs[1]  # page 2 has none beside it: made from its page image, as before
    assert decoded.startswith("data:image/jpeg;base64,") and len(decoded) > 1000
    # A damaged thumbnail is not embedded: the page image's is made instead, with a warning.
    thumbnail_file(page1).write_bytes(b"not a jpeg")
    build_report(folder)
    with Image.open(io.BytesIO(base64.b64decode(_doc(folder).xpath("//figure//img/@src")[0].split(",")[1]))) as im:
        assert im.size == (600, 850)
    assert "cannot read thumbnail" in caplog.text
    # A colour page image without one: the thumbnail made from it keeps its colours.
    red = np.zeros((1700, 1200, 3), np.uint8)
    red[:, :, 0] = 200
    Image.fromarray(red).save(folder / "pages" / "page-02.jpg")
    build_report(folder)
    second = _doc(folder).xpath("//figure//img/@src")[1]
    with Image.open(io.BytesIO(base64.b64decode(second.split(",")[1]))) as im:
        assert im.size == (600, 850)
        r, g, b = np.asarray(im.convert("RGB"))[100, 100].tolist()
        assert abs(r - 200) < 6 and g < 6 and b < 6


def test_missing_image_and_missing_edition(tmp_path: Path) -> None:
    folder = tmp_path / "ed"
    ed = make_edition(folder)
    (folder / "pages" / "page-02.jpg").unlink()
    (folder / "pages" / "page-01.jpg").write_bytes(b"not a jpeg")
    summary = build_report(folder)
    doc = _doc(folder)
    assert not doc.xpath("//figure//img")
    # The overlay is still drawn on a placeholder of the page's size.
    assert len(doc.get_element_by_id("page-2").xpath(".//svg//*[@data-block-id]")) == len(ed.page(2).blocks)
    assert summary.pages == 3

    from ocr_pipeline.errors import BadInputError

    with pytest.raises(BadInputError):
        build_report(tmp_path / "nowhere")


def test_cli_report(built: tuple[Path, Edition], tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ocr_pipeline.cli import cli

    folder, _ = built
    result = CliRunner().invoke(cli, ["report", str(folder)])
    assert result.exit_code == 0, result.output
    assert "score" in result.output and "report.html" in result.output
    # Once as a real process: a folder without edition.json is bad input (exit 2) with a hint.
    proc = subprocess.run([sys.executable, "-m", "ocr_pipeline", "report", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "edition.json" in proc.stderr
