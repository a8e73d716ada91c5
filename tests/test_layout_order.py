"""Reading order in the masthead strip and article grouping, on hand-built boxes and blocks."""

from __future__ import annotations

from ocr_pipeline.layout.articles import group_articles, strip_order
from ocr_pipeline.layout.blocks import PageStats, build_blocks
from ocr_pipeline.model import BBox, Block, Line, Page

BODY_H = 38.0


def test_masthead_ears_read_by_column_then_date_line_left_to_right() -> None:
    boxes: list[BBox] = [
        (860, 180, 2740, 460),    # 0 title, set large
        (330, 230, 520, 280),     # 1 left ear, line 1
        (2900, 265, 3440, 315),   # 2 right ear, line 1: on one row with left line 2
        (250, 285, 590, 330),     # 3 left ear, line 2
        (3070, 335, 3270, 380),   # 4 right ear, line 2
        (340, 355, 505, 395),     # 5 left ear, line 3
        (2660, 520, 2950, 600),   # 6 date line, right piece
        (200, 525, 470, 600),     # 7 date line, left piece
        (1160, 522, 2000, 602),   # 8 date line, middle piece
    ]
    rows = strip_order(boxes, BODY_H)
    assert [i for row in rows for i in row] == [1, 3, 5, 0, 2, 4, 7, 8, 6]
    assert rows[-1] == [7, 8, 6]  # the date line is one row
    assert all(len(r) == 1 for r in rows[:-1])  # ear lines across the title are no row


def test_thin_white_band_across_the_ears_is_no_cut() -> None:
    """Two ears whose lines leave a few pixels of white across the strip: still read ear by ear."""
    boxes: list[BBox] = [(130, 370, 850, 575), (130, 585, 850, 680), (2300, 370, 3000, 580), (2300, 586, 3000, 680)]
    assert [i for row in strip_order(boxes, 46.0) for i in row] == [0, 1, 2, 3]


def _column(rows: list[tuple[str, float, float]], left: float = 100.0, right: float = 520.0,
            top: float = 300.0) -> list[Line]:
    """(text, left indent, share of the rest of the column) per row, 42 px apart, 34 px high."""
    out = []
    for i, (text, indent, share) in enumerate(rows):
        y = top + i * 42
        x0 = left + indent
        out.append(Line(id=f"l{i:03d}", bbox=(x0, y, x0 + share * (right - x0), y + 34), text=text))
    return out


def test_centred_heading_ending_on_a_stop_is_a_subhead() -> None:
    lines = _column([
        ("und so weiter bis zum Ende des Berichtes, den", 0, 1.0),
        ("wir erhielten.", 0, 0.35),  # a paragraph's last line: flush left, ends on a stop
        ("Aus Versailles.", 140, 0.5),  # centred, ends on a stop: a heading of old papers
        ("Ich komme heute etwas später zum Schreiben", 34, 1.0),
        ("meines Briefes, denn seit Stunden ist das", 0, 1.0),
    ])
    stats = PageStats(body_height=34.0, body_weight=0.28, width=2400, height=3400)
    groups = build_blocks(lines, [(90.0, 290.0, 530.0, 520.0)], stats, {})
    roles = {ln.text: role for g, role in groups for ln in g}
    assert roles["Aus Versailles."] == "subhead"
    assert roles["wir erhielten."] == ""


def _page(blocks: list[Block], lines: list[Line]) -> Page:
    page = Page(1, "p.png", 3500, 5400)
    page.lines, page.blocks = lines, blocks
    return page


def test_short_last_line_and_overlapping_boxes_keep_the_article() -> None:
    """Under its headline, a column broken into blocks at a paragraph's short last line, and a next
    column whose blocks overlap a little where they meet: one article, not three."""
    specs = [
        ("h", "headline", (120, 3970, 900, 4030), "Doktor Klarblicks Entschluss"),
        ("a", "body", (120, 4090, 940, 4920), "Dann schrieb er eine Reihe von Briefen."),
        ("b", "body", (120, 4930, 240, 4957), "nennen."),
        ("c", "body", (120, 4967, 940, 5280), "Seine Gewohnheiten waren einfach."),
        ("d", "body", (970, 3950, 1790, 4336), "gaben zu entziehen."),
        ("e", "body", (970, 4322, 1790, 5288), "Herr. Seine Praxis verkaufte er."),
    ]
    lines = [Line(id=f"l{k}", bbox=box, text=t) for k, _, box, t in specs]
    blocks = [Block(id=f"b{k}", kind=kind, bbox=box, line_ids=[f"l{k}"]) for k, kind, box, _ in specs]
    page = _page(blocks, lines)
    arts = group_articles(page, BODY_H, [120.0, 970.0])
    assert len(arts) == 1 and [b.id for b in arts[0].all_blocks] == ["bh", "ba", "bb", "bc", "bd", "be"]


def test_authors_mark_inside_running_text_is_no_headline() -> None:
    body = [Line(id=f"l{i}", bbox=(2680, 3240 + 35 * i, 3490, 3272 + 35 * i), text=f"Zeile {i} des Textes") for i in range(14)]
    mark = Line(id="m", bbox=(3395, 3649, 3439, 3699), text="-ei-")
    blocks = [Block(id="b1", kind="body", bbox=(2680, 3240, 3490, 3727), line_ids=[ln.id for ln in body]),
              Block(id="b2", kind="headline", bbox=mark.bbox, line_ids=["m"])]
    page = _page(blocks, [*body, mark])
    arts = group_articles(page, BODY_H, [2680.0])
    assert len(arts) == 1 and [b.id for b in page.blocks] == ["b1"]
    ids = page.blocks[0].line_ids
    assert ids.index("m") == sum(1 for ln in body if (ln.bbox[1] + ln.bbox[3]) / 2 <= 3674)  # where it stands


def test_headline_opening_with_a_word_tail_is_text() -> None:
    lines = [Line(id="l1", bbox=(2670, 1627, 3490, 2314), text="Nach dem Bericht des städtischen Polizeiamtes für das Jahr 1938 wurden die Einrich-"),
             Line(id="l2", bbox=(2660, 2298, 3000, 2340), text="men."),
             Line(id="l3", bbox=(2660, 2345, 3494, 2392), text="Für Einreisebewilligungen wurden")]
    blocks = [Block(id="b1", kind="body", bbox=lines[0].bbox, line_ids=["l1"]),
              Block(id="b2", kind="headline", bbox=(2660, 2298, 3494, 2392), line_ids=["l2", "l3"])]
    page = _page(blocks, lines)
    arts = group_articles(page, BODY_H, [2660.0])
    assert page.block_map()["b2"].kind == "body" and len(arts) == 1


def test_articles_with_tops_a_little_apart_are_one_row_read_left_to_right() -> None:
    """Two headlines side by side whose tops differ by a third of a line are one row, whatever the line
    height: the right-hand one, set 13 px higher, is still read second."""
    from ocr_pipeline.layout.articles import PageArticle, _rows_then_left

    def art(x: float, y: float, name: str) -> PageArticle:
        return PageArticle(headline=[Block(id=name, kind="headline", bbox=(x, y, x + 400, y + 60))])

    below = art(100, 700, "c")
    for body_h in (28.0, 30.0, 31.7, 32.0, 33.0, 36.0):  # bucket edges of the old rounding fell in here
        order = _rows_then_left([art(1900, 443, "b"), below, art(100, 456, "a")], 2 * body_h)
        assert [a.headline[0].id for a in order] == ["a", "b", "c"], body_h
