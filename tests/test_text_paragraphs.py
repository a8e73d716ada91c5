"""Paragraph pieces from line geometry, and merging across columns/blocks, on hand-built Lines."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from ocr_pipeline.model import Line
from ocr_pipeline.text.chars import count_han
from ocr_pipeline.text.paragraphs import (
    ParagraphSettings,
    Piece,
    build_pieces,
    decision_flags,
    merge_pieces,
    merge_pieces_detailed,
)

CW = 30  # CJK character width, px
LINE_H = 32
PITCH = 45

ZH_PARAGRAPHS = [
    "今年春天，村里的孩子们在河边种下了一排柳树。每天放学以后，他们都会提着小桶去浇水，看着小树一天天长高。",
    "到了夏天，柳树已经长得比孩子们还高了。老人们坐在树下乘凉，讲起从前的故事。",
    "秋天来了。",
    "冬天下雪的时候，大家一起给柳树围上稻草，盼望着来年春天再发新芽。村长说，明年还要在河的另一边再种一排。",
]


def typeset_zh(paragraphs: list[str], *, chars: int = 16, x0: float = 100, y0: float = 100,
               prefix: str = "l") -> list[Line]:
    """Lay out paragraphs as a printed column: two-character indent, full lines, short last line."""
    lines: list[Line] = []
    y = y0
    for text in paragraphs:
        rest = text
        first = True
        while rest:
            indent = 2 if first else 0
            take = chars - indent
            part, rest = rest[:take], rest[take:]
            left = x0 + indent * CW
            lines.append(Line(f"{prefix}{len(lines)}", (left, y, left + len(part) * CW, y + LINE_H), part))
            y += PITCH
            first = False
    return lines


def test_zh_paragraphs_from_indent_and_short_lines() -> None:
    lines = typeset_zh(ZH_PARAGRAPHS)
    pieces = build_pieces(lines, "zh")
    assert [p.text for p in pieces] == ZH_PARAGRAPHS
    assert all(p.starts_paragraph and p.ends_paragraph for p in pieces)
    assert sum(len(p.line_ids) for p in pieces) == len(lines)
    assert merge_pieces(pieces, "zh") == ZH_PARAGRAPHS


def test_zh_paragraph_continues_into_next_column() -> None:
    lines = typeset_zh(ZH_PARAGRAPHS)
    # Cut the column in the middle of the first paragraph's third line run; the rest goes to column 2.
    col1, col2 = lines[:2], lines[2:]
    col2 = [Line(ln.id, (ln.bbox[0] + 700, ln.bbox[1] - 600, ln.bbox[2] + 700, ln.bbox[3] - 600), ln.text)
            for ln in col2]
    pieces = build_pieces(col1, "zh", block_id="b1") + build_pieces(col2, "zh", block_id="b2")
    assert not pieces[0].ends_paragraph and not pieces[1].starts_paragraph
    result = merge_pieces_detailed(pieces, "zh")
    assert result.paragraphs == ZH_PARAGRAPHS
    first = result.decisions[0]
    assert first.joined and first.offset == len(lines[0].text) + len(lines[1].text)
    assert first.left_line_id == "l1" and first.right_line_id == "l2"
    # Zero characters inserted at CJK joins.
    joined = "".join(ln.text for ln in lines)
    assert sum(len(p) for p in result.paragraphs) == len(joined)
    assert count_han("".join(result.paragraphs)) == count_han(joined)


def test_zh_column_break_at_paragraph_end_is_kept() -> None:
    lines = typeset_zh(ZH_PARAGRAPHS)
    n_first = len(typeset_zh(ZH_PARAGRAPHS[:1]))
    pieces = build_pieces(lines[:n_first], "zh") + build_pieces(lines[n_first:], "zh")
    assert merge_pieces(pieces, "zh") == ZH_PARAGRAPHS


def test_full_last_line_at_paragraph_end_needs_the_next_indent() -> None:
    # A paragraph whose text fills its last line exactly: geometry cannot see the end from that line.
    para = ["春天的早晨空气清新，鸟儿在枝头歌唱。", "孩子们背着书包走进了学校。"]  # 18 chars = 2 + 16, 13 chars
    lines = typeset_zh(para, chars=10)
    assert lines[1].bbox[2] == 100 + 10 * CW  # full width
    pieces = build_pieces(lines, "zh")
    assert [p.text for p in pieces] == para  # the indent of the next line still splits them
    one_line_blocks = [build_pieces([ln], "zh")[0] for ln in lines]
    assert not one_line_blocks[0].start_known  # nothing to measure the indent against
    with_bounds = [build_pieces([ln], "zh", bounds=(100, 400))[0] for ln in lines]
    assert with_bounds[0].starts_paragraph and with_bounds[0].start_known
    assert merge_pieces(with_bounds, "zh") == para


def test_unknown_geometry_falls_back_to_text() -> None:
    a = Piece("孩子们在操场上踢足", starts_paragraph=True, ends_paragraph=False, line_ids=["a"], end_known=False)
    b = Piece("球，玩得非常开心。", starts_paragraph=False, ends_paragraph=True, line_ids=["b"], start_known=False)
    c = Piece("第二天又下雨了。", starts_paragraph=False, ends_paragraph=True, line_ids=["c"], start_known=False)
    result = merge_pieces_detailed([a, b, c], "zh")
    assert result.paragraphs == ["孩子们在操场上踢足球，玩得非常开心。", "第二天又下雨了。"]
    assert result.decisions[0].joined and result.decisions[0].forms_word is True
    assert not result.decisions[1].joined


def test_join_that_forms_no_word_is_flagged() -> None:
    a = Piece("市场上有苹果、葡萄和西", True, False, ["x1"])
    b = Piece("发布了新的规定。", False, True, ["x2"])
    result = merge_pieces_detailed([a, b], "zh")
    assert result.paragraphs == ["市场上有苹果、葡萄和西发布了新的规定。"]
    d = result.decisions[0]
    assert d.joined and d.suspect_loss and d.forms_word is False
    flags = decision_flags(result.decisions, page=3)
    assert len(flags) == 1 and flags[0].code == "join-no-word" and flags[0].line_id == "x2"
    assert "text may be lost" in flags[0].message and flags[0].page == 3


def test_short_line_conflicting_with_unindented_next_uses_words() -> None:
    # A short line before a photo, continued unindented below it: a word spans the join, so join.
    a = Piece("我们参观了博物", True, True, ["p1"], end_evidence="short last line")
    b = Piece("馆，看到了许多文物。", False, True, ["p2"], start_evidence="no indent")
    assert merge_pieces([a, b], "zh") == ["我们参观了博物馆，看到了许多文物。"]
    c = Piece("参观结束了。", True, True, ["p3"])
    d = Piece("大家坐车回家。", False, True, ["p4"])
    assert merge_pieces([c, d], "zh") == ["参观结束了。", "大家坐车回家。"]


# --- English -------------------------------------------------------------------------------------------

EN_CW = 14


def en_line(i: int, text: str, *, indent: int = 0, y: float | None = None, x0: float = 50) -> Line:
    left = x0 + indent * EN_CW
    top = 60 + i * 40 if y is None else y
    return Line(f"e{i}", (left, top, left + len(text) * EN_CW, top + 30), text)


def test_english_indents_hyphens_and_ragged_right() -> None:
    rows = [
        (2, "The council approved the recon-"),
        (0, "struction of the old bridge on"),
        (0, "Tuesday, after a long and well-"),  # full width: "known" could not have fitted
        (0, "known engineer presented a"),
        (0, "state-of-the-"),
        (0, "art design."),
        (2, "Work starts in the spring and"),
        (0, "should end before winter."),
    ]
    lines = [en_line(i, t, indent=ind) for i, (ind, t) in enumerate(rows)]
    # Line 4 is short only because the next word is too long to fit.
    lines[4] = Line("e4", (50, lines[4].bbox[1], 50 + 31 * EN_CW - 20, lines[4].bbox[3]), "state-of-the-")
    pieces = build_pieces(lines, "en", bounds=(50, 50 + 31 * EN_CW))
    assert [p.text for p in pieces] == [
        "The council approved the reconstruction of the old bridge on Tuesday, after a long and "
        "well-known engineer presented a state-of-the-art design.",
        "Work starts in the spring and should end before winter.",
    ]


def test_english_gap_style_block() -> None:
    texts = ["The market opened late", "because of the storm.", "Traders stayed calm", "all day."]
    ys = [60, 100, 170, 210]  # a 40 px gap (more than half a line) before the third line
    lines = [en_line(i, t, y=y) for i, (t, y) in enumerate(zip(texts, ys, strict=True))]
    pieces = build_pieces(lines, "en")
    assert [p.text for p in pieces] == ["The market opened late because of the storm.", "Traders stayed calm all day."]
    assert not pieces[0].start_known  # the block never indents: its first line tells nothing


def test_edge_artifacts_dropped_from_lines() -> None:
    lines = typeset_zh(["今天天气很好，我们一起去公园散步。"], chars=10)
    lines[1] = Line(lines[1].id, lines[1].bbox, lines[1].text + " |")
    assert merge_pieces(build_pieces(lines, "zh"), "zh") == ["今天天气很好，我们一起去公园散步。"]


def test_settings_validate() -> None:
    with pytest.raises(ValueError):
        ParagraphSettings(indent_cjk=0)


def test_speed_per_line() -> None:
    lines = typeset_zh(ZH_PARAGRAPHS * 50)
    build_pieces(lines, "zh")
    t0 = time.perf_counter()
    for _ in range(5):
        build_pieces(lines, "zh")
    per_line_us = (time.perf_counter() - t0) / (5 * len(lines)) * 1e6
    # OCR spends about 20 ms per line; text reconstruction must stay below 1% of that.
    assert per_line_us < 200, per_line_us


# --- real page: NZZ ground truth (PAGE XML, human-corrected lines, one region per paragraph) -------------

SHARED = Path(__file__).resolve().parents[2] / "shared"


def _nzz_columns(path: Path) -> list[tuple[list[Line], set[int]]]:
    """Lines of each column (regions r_<column>_<n> in reading order) and the indices where a region starts."""
    from lxml import etree

    ns = {"p": "http://schema.primaresearch.org/PAGE/gts/pagecontent/2013-07-15"}
    doc = etree.parse(str(path))
    regions = {r.get("id"): r for r in doc.iterfind(".//p:TextRegion", ns)}
    columns: dict[str, list[str]] = {}
    for ref in doc.iterfind(".//p:RegionRefIndexed", ns):
        m = re.match(r"r_(\d+)_\d+$", ref.get("regionRef", ""))
        if m:
            columns.setdefault(m.group(1), []).append(m.group(0))
    out = []
    for rids in columns.values():
        lines: list[Line] = []
        starts = set()
        for rid in rids:
            starts.add(len(lines))
            for tl in regions[rid].iterfind("p:TextLine", ns):
                pts = [tuple(map(int, p.split(","))) for p in tl.find("p:Coords", ns).get("points").split()]
                xs, ys = [p[0] for p in pts], [p[1] for p in pts]
                te = tl.find("p:TextEquiv/p:Unicode", ns)
                text = te.text if te is not None and te.text else ""
                lines.append(Line(f"{rid}_{len(lines)}", (min(xs), min(ys), max(xs), max(ys)), text))
        if len(lines) >= 20:
            out.append((lines, starts - {0}))
    return out


def test_paragraph_boundaries_on_nzz_ground_truth() -> None:
    files = sorted((SHARED / "real" / "nzz").glob("*.page.xml")) if (SHARED / "real" / "nzz").is_dir() else []
    if not files:
        pytest.skip("shared/real/nzz not available")
    tp = fp = fn = 0
    for path in files:
        for lines, gold in _nzz_columns(path):
            pieces = build_pieces(lines, "de")
            index = {ln.id: i for i, ln in enumerate(lines)}
            pred = {index[p.line_ids[0]] for p in pieces} - {0}
            tp, fp, fn = tp + len(pred & gold), fp + len(pred - gold), fn + len(gold - pred)
    assert tp > 30
    f1 = 2 * tp / (2 * tp + fp + fn)
    assert f1 >= 0.9, (tp, fp, fn)
