"""Block building and kinds on hand-built lines: crossheads told from paragraph lines by typography and
text cues, runs of body text kept whole, a column's last line at the page foot kept out of the folio."""

from __future__ import annotations

from ocr_pipeline.layout.blocks import _BYLINE, PageStats, build_blocks, classify_block
from ocr_pipeline.model import Line

COL = (100.0, 520.0)
BODY_H = 34.0


def _column(rows: list[tuple[str, float, float]], top: float = 300.0) -> list[Line]:
    """Lines of one column: (text, left indent, width share of the column) per row, 42 px apart."""
    out = []
    for i, (text, indent, share) in enumerate(rows):
        y = top + i * 42
        x0 = COL[0] + indent
        x1 = x0 + share * (COL[1] - COL[0] - indent)
        out.append(Line(id=f"l{i:03d}", bbox=(x0, y, x1, y + BODY_H), text=text))
    return out


def _stats() -> PageStats:
    return PageStats(body_height=BODY_H, body_weight=0.28, width=2400, height=3400)


def test_latin_crosshead_is_told_from_a_paragraph_line() -> None:
    lines = _column([
        ("the harbor authority said the work would end", 0, 1.0),
        ("before the summer season.", 0, 0.6),
        ("Cleaner crossings", 0, 0.55),  # flush left, short, no stop, a little heavier
        ("Each ferry will carry up to 150 cars and", 34, 1.0),
        ("750 passengers and run on batteries.", 0, 0.8),
        ("Ferry riders welcomed the news on", 34, 1.0),  # a paragraph's first line: indented
        ("Monday.", 0, 0.2),
    ])
    weights = {ln.id: 0.28 for ln in lines}
    weights["l002"] = 0.33  # 1.18 times the text: bold sans on a scan
    weights["l005"] = 0.33  # as heavy, but indented: a paragraph opening
    groups = build_blocks(lines, [(90.0, 290.0, 530.0, 700.0)], _stats(), weights)
    roles = {ln.text: role for g, role in groups for ln in g}
    assert roles["Cleaner crossings"] == "subhead"
    assert roles["Ferry riders welcomed the news on"] == ""
    assert roles["before the summer season."] == ""


def test_byline_needs_a_name_after_by() -> None:
    assert _BYLINE.search("By Priya Anand")
    assert _BYLINE.search("本报记者 林晓岚")
    assert not _BYLINE.search("by about 60 percent.")
    assert not _BYLINE.search("by late fall.")
    assert _BYLINE.search("by LELLA FAYE SECOR.")  # an old paper's byline in capitals


def test_a_latin_box_a_little_taller_is_no_subhead() -> None:
    stats = _stats()
    line = Line(id="l1", bbox=(131.0, 2382.0, 516.0, 2382.0 + 1.15 * BODY_H), text="The annual Harbor Sweep,")
    assert classify_block([line], line.bbox, stats, {}, 3, False) == "body"
    zh = Line(id="l2", bbox=(131.0, 2382.0, 400.0, 2382.0 + 1.15 * BODY_H), text="乡村球队有了主场")
    assert classify_block([zh], zh.bbox, stats, {}, 3, False) == "subhead"


def test_last_line_of_a_column_at_the_foot_is_not_a_folio() -> None:
    stats = _stats()
    body = _column([("适应。桃园小区党员志愿者", 0, 1.0)] * 5, top=3080.0)  # runs down to 3282 (> 0.955 H)
    foot = Line(id="f1", bbox=(1900.0, 3300.0, 2300.0, 3330.0), text="第2版")
    groups = build_blocks([*body, foot], [(90.0, 3070.0, 530.0, 3290.0)], stats, {})
    folio = [ln.id for g, role in groups if role == "folio" for ln in g]
    assert folio == ["f1"]


def test_lines_go_to_the_first_region_holding_their_centre() -> None:
    """A line whose centre lies in two regions goes with the first, and a centre up to 2 px outside a
    region still counts as inside; lines of different regions never share a block, close as they are."""
    regions = [(100.0, 300.0, 520.0, 560.0), (100.0, 500.0, 520.0, 900.0)]
    rows = [("a", 460.0), ("b", 502.0), ("c", 544.0), ("d", 586.0), ("e", 628.0), ("f", 1000.0)]
    lines = [Line(id=i, bbox=(100.0, y, 500.0, y + BODY_H), text=f"line {i} of the column") for i, y in rows]
    groups = build_blocks(lines, regions, _stats(), merge_rows=False)
    # b: centre 519, in both regions; c: centre 561, 1 px below the first; f: in none.
    assert sorted([ln.id for ln in g] for g, _ in groups) == [["a", "b", "c"], ["d", "e"], ["f"]]
