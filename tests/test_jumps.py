"""Jump-line parser: every marker form of issue 6, markers inside text, and real-paper lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ocr_pipeline.edition.jumps import (
    chinese_number,
    english_number,
    parse_jumps,
    parse_page_label,
    strip_jumps,
)
from ocr_pipeline.profiles import load_profile

SHARED = Path(__file__).resolve().parents[2] / "shared"

# marker, direction, page, page label, section, keyword
MARKERS = [
    ("(下转第2版)", "out", 2, "2", "", ""),
    ("(转第3版)", "out", 3, "3", "", ""),
    ("(上接第1版)", "in", 1, "1", "", ""),
    ("(接第1版)", "in", 1, "1", "", ""),
    ("（下接二版）", "out", 2, "二", "", ""),
    ("本文接第一版", "in", 1, "一", "", ""),
    ("(下轉第2版)", "out", 2, "2", "", ""),
    ("转A2版", "out", 2, "A2", "A", ""),
    ("〔下转第十一版〕", "out", 11, "十一", "", ""),
    ("【上接第二十三版】", "in", 23, "二十三", "", ""),
    ("[转第１２版]", "out", 12, "12", "", ""),
    ("上接1版", "in", 1, "1", "", ""),
    # OCR puts spaces between the characters of a spaced-out jump line; the page half follows 版.
    ("( 下 转 第 2 版 )", "out", 2, "2", "", ""),
    ("（ 上 接 第 1 版 ）", "in", 1, "1", "", ""),
    ("（下转第二版上）", "out", 2, "二", "", ""),
    ("（转 A 2 版）", "out", 2, "A2", "A", ""),
    ("(上接第l版)", "in", 1, "l", "", ""),
    ("Continued on Page 7", "out", 7, "7", "", ""),
    ("Continued on Second Page", "out", 2, "Second", "", ""),
    ("Cont. on p. 7", "out", 7, "7", "", ""),
    ("See BUDGET, Page A4", "out", 4, "A4", "A", "BUDGET"),
    ("Continued from Page 1", "in", 1, "1", "", ""),
    ("From Page 1", "in", 1, "1", "", ""),
    ("BUDGET, from Page A1", "in", 1, "A1", "A", "BUDGET"),
    ("(Continued on Page Eleven.)", "out", 11, "Eleven", "", ""),
    # Evening Star, 1916: jump lines of an 8-column front page.
    ("(Continued on Second Page.)", "out", 2, "Second", "", ""),
    ("Continued on Page 2, Column 3", "out", 2, "2", "", ""),
    ("(Continued from First Page.)", "in", 1, "First", "", ""),
    # The same line as the archive's OCR read it.
    ("(Continued on 8*cond Fa?e.)", "out", 2, "8*cond", "", ""),
    ("CONTINUED ON PAGE 12", "out", 12, "12", "", ""),
    ("See WAR TAX, Page B-3", "out", 3, "B-3", "B", "WAR TAX"),
    ("Please turn to Page 4", "out", 4, "4", "", ""),
]


@pytest.mark.parametrize("marker,direction,page,label,section,keyword", MARKERS)
def test_marker_forms(marker: str, direction: str, page: int, label: str, section: str, keyword: str) -> None:
    (jump,) = parse_jumps(marker)
    assert (jump.direction, jump.page, jump.page_label, jump.section, jump.keyword) == (
        direction, page, label, section, keyword)
    # The whole marker, brackets included, is the jump line.
    assert jump.text == marker and jump.span == (0, len(marker))


@pytest.mark.parametrize("marker", [m[0] for m in MARKERS])
def test_markers_found_inside_text(marker: str) -> None:
    cjk = bool(re.search(r"[\u4e00-\u9fff]", marker))
    before = "城市更新要以培育新质生" if cjk else "the council said the plan would be"
    # End of a column (run into the last line), own line, or after a space.
    texts = [before + "\n" + marker, before + ("" if cjk else " ") + marker]
    if marker == "From Page 1":
        # Bare "from page N" counts only where it opens a line: inside a sentence it is ordinary text.
        assert parse_jumps(texts[1]) == []
        texts = texts[:1]
    for text in texts:
        jumps = parse_jumps(text)
        assert len(jumps) == 1, text
        stripped, removed = strip_jumps(text)
        assert stripped == before
        assert removed[0].text == marker
        assert text[removed[0].span[0]:removed[0].span[1]].strip() == marker


def test_marker_in_the_middle_of_a_line_keeps_the_words_apart() -> None:
    text, jumps = strip_jumps("the mayor said (Continued on Page 7) that the plan")
    assert text == "the mayor said that the plan"
    assert jumps[0].page == 7
    zh, jumps = strip_jumps("居民出行（下转第2版）更加方便")
    assert zh == "居民出行更加方便" and jumps[0].direction == "out"


def test_jump_in_marker_at_paragraph_start() -> None:
    text, jumps = strip_jumps("(上接第1版)据介绍，老街区更新坚持居民参与。")
    assert text == "据介绍，老街区更新坚持居民参与。"
    assert [(j.direction, j.page) for j in jumps] == [("in", 1)]


def test_one_out_and_one_in_in_the_same_text() -> None:
    jumps = parse_jumps("BUDGET, from Page A1\nthe council voted on the plan.\nContinued on Page A9")
    assert [(j.direction, j.page, j.section) for j in jumps] == [("in", 1, "A"), ("out", 9, "A")]


@pytest.mark.parametrize("text", [
    "he took the figure from page 5 of the report",
    "the war continued on page after page of the book",
    "taken from the second page of the letter",
    "The battle will continue until 5 o'clock.",
    "Contest Continues Until 5 O'Clock",
    "转载请注明出处",
    "第二版的内容更加丰富",
    "两国领导人接见了代表团",
    "see the map on this page",
])
def test_ordinary_sentences_are_not_jumps(text: str) -> None:
    assert parse_jumps(text) == []
    assert strip_jumps(text) == (text, [])


def test_numbers() -> None:
    assert [chinese_number(s) for s in ("一", "十", "十一", "二十", "二十三", "九十九", "一百零二", "一二", "两")] == [
        1, 10, 11, 20, 23, 99, 102, 12, 2]
    assert chinese_number("第") is None
    assert [english_number(s) for s in ("one", "Eleven", "Second", "twenty-first", "Front", "Secund")] == [
        1, 11, 2, 21, 1, 2]
    assert english_number("tomorrow") is None
    assert parse_page_label("A4") == (4, "A")
    assert parse_page_label("Ａ４") == (4, "A")
    assert parse_page_label("十二") == (12, "")


def test_relative_page() -> None:
    (jump,) = parse_jumps("Continued on Next Page")
    assert jump.page is None and jump.relative == "next"


def _alto_lines(path: Path) -> list[str]:
    from lxml import etree

    root = etree.parse(str(path)).getroot()
    ns = root.nsmap.get(None, "")
    out = []
    for tl in root.iter(f"{{{ns}}}TextLine"):
        out.append(" ".join(s.get("CONTENT", "") for s in tl.iter(f"{{{ns}}}String")))
    return out


def test_evening_star_jump_lines_and_no_false_hits() -> None:
    folder = SHARED / "real" / "evening-star"
    if not folder.is_dir():
        pytest.skip("shared/real/evening-star not present")
    lines = []
    for alto in sorted(folder.glob("*.alto.xml")):
        lines += _alto_lines(alto)
    assert len(lines) > 1000
    hits = [(ln, j) for ln in lines for j in parse_jumps(ln, load_profile("en-broadsheet"))]
    # Every line the archive's OCR printed as "(Continued …" is a jump line, and nothing else is.
    expected = [ln for ln in lines if ln.lstrip().startswith("(Continued")]
    assert expected, "the 1916 front page has a jump line"
    assert [ln for ln, _ in hits] == expected
    assert all(j.direction == "out" and j.page == 2 for _, j in hits)


def test_nzz_german_text_has_no_jump_lines() -> None:
    folder = SHARED / "real" / "nzz"
    if not folder.is_dir():
        pytest.skip("shared/real/nzz not present")
    from lxml import etree

    n = 0
    for page in sorted(folder.glob("*.page.xml")):
        root = etree.parse(str(page)).getroot()
        for el in root.iter():
            if isinstance(el.tag, str) and el.tag.endswith("Unicode") and el.text:
                n += 1
                assert parse_jumps(el.text) == [], el.text
    assert n > 500


def test_the_joined_patterns_find_no_less_than_each_pattern() -> None:
    """Text the profile's patterns joined into one find nothing in is skipped: it must hold no marker that one of
    them would find. A profile whose patterns cannot be joined (a back-reference to a group's name) is read
    pattern by pattern."""
    from dataclasses import replace

    texts = [m[0] for m in MARKERS] + [f"今天的新闻很多{m[0]}还有别的" for m in MARKERS] + [
        "An ordinary sentence about page layout.", "第2版的内容", "Continued", "Page", "(下转", ""]
    for name in ("generic", "zh-daily", "en-broadsheet"):
        prof = load_profile(name)
        assert prof.jumps.any_marker is not None
        alone = replace(prof, jumps=replace(prof.jumps, any_marker=None))
        for text in texts:
            assert parse_jumps(text, prof) == parse_jumps(text, alone), (name, text)
    odd = replace(load_profile("generic"))
    odd.jumps = replace(odd.jumps, out=[*odd.jumps.out, r"(?P<page>\d+)-(?P=page)"])
    odd.jumps.compile()
    assert odd.jumps.any_marker is None
    assert [j.page for j in parse_jumps("Continued on Page 7", odd)] == [7]
