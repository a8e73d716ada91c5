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


def _zh_line(i: int, text: str, left_chars: float, *, x0: float = 100, y0: float = 100) -> Line:
    left = x0 + left_chars * CW
    top = y0 + i * PITCH
    return Line(f"c{i}", (left, top, left + len(text) * CW, top + LINE_H), text)


def test_zh_centred_crosshead_in_narrow_column() -> None:
    # An eight-character column: a two-line crosshead set centred between two paragraphs.
    rows = [
        (2, "推行之初的不"), (0, "足四成，如今提"), (0, "高到九成。"),
        (0.5, "从“要我分”到"), (1.5, "“我要分”"),
        (2, "刚开始推行"), (0, "时，不少居民并不"), (0, "适应。"),
    ]
    lines = [_zh_line(i, t, ind) for i, (ind, t) in enumerate(rows)]
    pieces = build_pieces(lines, "zh", bounds=(100, 100 + 8 * CW))
    assert [p.text for p in pieces] == [
        "推行之初的不足四成，如今提高到九成。", "从“要我分”到“我要分”", "刚开始推行时，不少居民并不适应。",
    ]
    assert "centred" in pieces[1].start_evidence and "centred" in pieces[1].end_evidence


def test_zh_full_width_crosshead_between_blocks_stands_alone() -> None:
    before = build_pieces(typeset_zh(["航线贡献明显，客流增长很快。"], chars=8), "zh", bounds=(100, 340))
    head = build_pieces([_zh_line(0, "新航线带来新货源", 0, y0=800), _zh_line(1, "1月中旬，澜", 2, y0=800)],
                        "zh", bounds=(100, 340))
    assert head[0].heading_like and not head[1].heading_like
    assert merge_pieces(before + head, "zh") == ["航线贡献明显，客流增长很快。", "新航线带来新货源", "1月中旬，澜"]


def test_zh_stray_line_across_the_gutter_keeps_the_edge() -> None:
    lines = typeset_zh(ZH_PARAGRAPHS)
    # The OCR ran the second line on into the next column: its box and text reach far past the edge.
    ln = lines[1]
    lines[1] = Line(ln.id, (ln.bbox[0], ln.bbox[1], ln.bbox[2] + 12 * CW, ln.bbox[3]), ln.text + "隔壁栏目的几个字")
    pieces = build_pieces(lines, "zh", bounds=(100, ln.bbox[2] + 12 * CW))
    assert len(pieces) == len(ZH_PARAGRAPHS)
    assert [p.text for p in pieces][1:] == ZH_PARAGRAPHS[1:]


def test_zh_indent_from_character_count_when_the_box_reaches_into_it() -> None:
    lines = typeset_zh(ZH_PARAGRAPHS[:2], chars=12)
    second = next(i for i, ln in enumerate(lines) if ln.text.startswith("到了夏天"))
    ln = lines[second]
    # Detector padding: the indented line's box starts only 0.6 character widths in.
    lines[second] = Line(ln.id, (100 + 0.6 * CW, ln.bbox[1], ln.bbox[2], ln.bbox[3]), ln.text)
    assert [p.text for p in build_pieces(lines, "zh")] == ZH_PARAGRAPHS[:2]


def test_zh_text_without_punctuation_continues_into_a_heading_block() -> None:
    # A paragraph's last line taken for a subhead by layout (a taller OCR box): the full line before it
    # stops mid-sentence, so the "subhead" continues it.
    body = build_pieces(typeset_zh(["跑过大桥的时候正好太阳升起来，一下忘"], chars=10), "zh", bounds=(100, 400))
    assert not body[-1].ends_paragraph
    sub = Piece("了累。”", True, True, ["s1"])
    assert merge_pieces([*body, sub], "zh") == ["跑过大桥的时候正好太阳升起来，一下忘了累。”"]


def test_zh_two_line_caption_under_wide_column_bounds() -> None:
    # A caption across part of a wide column span: its first line is full for the caption, not short.
    first = "澜江滨江公园里的樱花竞相开放，吸引众多市民前来"
    lines = [Line("k0", (850, 2600, 850 + len(first) * CW, 2630), first),
             Line("k1", (850, 2640, 850 + 14 * CW, 2670), "踏青赏花。■本报记者周立摄")]
    pieces = build_pieces(lines, "zh", bounds=(850, 2300))
    assert [p.text for p in pieces] == [first + "踏青赏花。■本报记者周立摄"]


def test_english_fragments_of_one_printed_line_are_one_row() -> None:
    rows = ["After two years of", "restoration, the Gull", "Point Lighthouse Mu-", "seum will reopen."]
    lines = [en_line(i, t) for i, t in enumerate(rows)]
    # The engine cut the second line at its wide word spaces and listed the pieces out of order.
    y = lines[1].bbox[1]
    frags = [Line("f3", (50 + 17 * EN_CW, y - 2, 50 + 21 * EN_CW, y + 29), "Gull"),
             Line("f2", (50 + 13 * EN_CW, y - 1, 50 + 16 * EN_CW, y + 30), "the"),
             Line("f1", (50, y, 50 + 12 * EN_CW, y + 30), "restoration,")]
    pieces = build_pieces([lines[0], *frags, *lines[2:]], "en", bounds=(50, 50 + 21 * EN_CW))
    assert [p.text for p in pieces] == [
        "After two years of restoration, the Gull Point Lighthouse Museum will reopen."
    ]
    assert pieces[0].line_ids[1:4] == ["f1", "f2", "f3"]


def test_english_unindented_block_continues_where_the_paper_indents() -> None:
    width = 50 + 26 * EN_CW
    a = [en_line(0, "The game went on past", indent=2), en_line(1, "midnight with a walk and"),
         en_line(2, "an error at first base.")]
    a[2] = Line("e2", (50, a[2].bbox[1], width, a[2].bbox[3]), a[2].text)  # justified full line
    b = [en_line(3, "Senior catcher Nolan Pruitt", x0=500), en_line(4, "then drove in the winner.", x0=500)]
    b[0] = Line("e3", (500, b[0].bbox[1], 500 + 26 * EN_CW, b[0].bbox[3]), b[0].text)
    pieces = build_pieces(a, "en", bounds=(50, width)) + build_pieces(b, "en", bounds=(500, 500 + 26 * EN_CW))
    assert not pieces[1].start_known and pieces[1].unindented
    assert len(merge_pieces(pieces, "en")) == 1


def test_english_flush_left_crosshead_stands_alone() -> None:
    width = 26 * EN_CW
    a = [en_line(0, "The coach was pleased.", indent=2)]
    head = [en_line(1, "On to state", x0=500)]
    c = [en_line(2, "The Mariners advance to", x0=500, indent=2), en_line(3, "the semifinal.", x0=500)]
    pieces = (build_pieces(a, "en", bounds=(50, 50 + width)) + build_pieces(head, "en", bounds=(500, 500 + width))
              + build_pieces(c, "en", bounds=(500, 500 + width)))
    assert pieces[1].heading_like
    assert merge_pieces(pieces, "en") == [
        "The coach was pleased.", "On to state", "The Mariners advance to the semifinal.",
    ]


def test_zh_centred_heading_continues_into_the_subhead_layout_made_of_its_rest() -> None:
    head = build_pieces([_zh_line(0, "从“一次改”到", 0.5)], "zh", bounds=(100, 100 + 8 * CW))
    assert head[0].end_evidence == "centred"
    rest = Piece("“长久管”", True, True, ["s1"])  # as compose builds a subhead
    body = build_pieces([_zh_line(2, "房子改好了，", 2), _zh_line(3, "怎样管好。", 0)], "zh", bounds=(100, 100 + 8 * CW))
    assert merge_pieces(head + [rest] + body, "zh") == ["从“一次改”到“长久管”", "房子改好了，怎样管好。"]


def test_english_text_stopping_on_a_word_continues_into_a_subhead_block() -> None:
    width = 26 * EN_CW
    a = build_pieces([en_line(0, "The students at Harbor", indent=2),
                      Line("e1", (50, 100, 50 + width, 130), "Community College built")], "en", bounds=(50, 50 + width))
    taken_for_subhead = Piece("weather stations", True, True, ["s1"])
    b = build_pieces([en_line(3, "for nine schools.", x0=500)], "en", bounds=(500, 500 + width))
    assert merge_pieces(a + [taken_for_subhead] + b, "en") == [
        "The students at Harbor Community College built weather stations for nine schools."
    ]
    # A crosshead and the paragraph after it, both built by layout, stay apart.
    assert merge_pieces([Piece("Training pipeline", True, True, ["h"]), Piece("Finding enough", True, True, ["f"])],
                        "en") == ["Training pipeline", "Finding enough"]


def test_zh_subhead_that_ends_a_sentence_is_body_text() -> None:
    # Layout took a paragraph's last line for a subhead (a taller box); the unindented line after it goes on.
    body = build_pieces(typeset_zh(["“以前一下雨，楼道里全是水，电线像蜘"], chars=10), "zh", bounds=(100, 400))
    taken_for_subhead = Piece("蛛网一样挂在墙上。”", True, True, ["s1"])
    rest = build_pieces([_zh_line(0, "家住青石巷的孔德明说，", 0, y0=900)], "zh", bounds=(100, 100 + 11 * CW))
    assert rest[0].start_evidence == "no indent"
    assert merge_pieces([*body, taken_for_subhead, *rest], "zh") == [
        "“以前一下雨，楼道里全是水，电线像蜘蛛网一样挂在墙上。”家住青石巷的孔德明说，"
    ]
    # A real subhead (no full stop) before an indented paragraph still stands alone.
    head = Piece("传统戏曲吸引年轻观众", True, True, ["h"])
    para = build_pieces(typeset_zh(["值得一提的是，观众中有不少年轻面孔。"], chars=8), "zh", bounds=(100, 340))
    assert merge_pieces([head, *para], "zh") == ["传统戏曲吸引年轻观众", "值得一提的是，观众中有不少年轻面孔。"]


def test_heading_wrapped_into_two_layout_subheads_is_one_heading() -> None:
    before = build_pieces(typeset_zh(["占了一半以上。"], chars=8), "zh", bounds=(100, 340))
    para = build_pieces(typeset_zh(["值得一提的是，观众中有不少年轻面孔。"], chars=8, y0=900), "zh", bounds=(100, 340))
    heads = [Piece("传统戏曲吸引年轻", True, True, ["h1"]), Piece("观众", True, True, ["h2"])]
    assert merge_pieces([*before, *heads, *para], "zh") == [
        "占了一半以上。", "传统戏曲吸引年轻观众", "值得一提的是，观众中有不少年轻面孔。",
    ]
    # Two headings of full length are two headings.
    assert merge_pieces([Piece("年轻演员挑大梁", True, True, ["a"]), Piece("剧中阿灯一角由", True, True, ["b"])],
                        "zh") == ["年轻演员挑大梁", "剧中阿灯一角由"]
    en = [Piece("Data for farmers and", True, True, ["h1"]), Piece("fire crews", True, True, ["h2"]),
          Piece("Training pipeline", True, True, ["h3"])]
    assert merge_pieces(en, "en") == ["Data for farmers and fire crews", "Training pipeline"]


def test_zh_heading_rest_at_the_top_of_the_body_block() -> None:
    # Layout took the heading's first line for a subhead and left its second line atop the body block.
    before = build_pieces(typeset_zh(["提高到了九成以上。"], chars=8), "zh", bounds=(100, 340))
    head = Piece("从“要我分”到", True, True, ["h"])
    block = build_pieces([_zh_line(0, "“我要分”", 2, y0=900), _zh_line(1, "刚开始推行", 2, y0=900),
                          _zh_line(2, "时，不少居民并不", 0, y0=900), _zh_line(3, "适应。", 0, y0=900)],
                         "zh", bounds=(100, 340))
    assert merge_pieces([*before, head, *block], "zh") == [
        "提高到了九成以上。", "从“要我分”到“我要分”", "刚开始推行时，不少居民并不适应。",
    ]


def test_zh_photo_credit_and_stray_letter() -> None:
    caption = build_pieces([_zh_line(0, "工人在永安桥上进行修缮作业，这座石拱桥", 0),
                            _zh_line(1, "已有两百多年的历史。", 0), _zh_line(2, "■本报记者贺一鸣摄", 0)],
                           "zh", bounds=(100, 100 + 19 * CW))
    assert len(caption) == 2  # the short line before the credit ends a piece
    assert merge_pieces(caption, "zh") == ["工人在永安桥上进行修缮作业，这座石拱桥已有两百多年的历史。■本报记者贺一鸣摄"]
    body = build_pieces(typeset_zh(ZH_PARAGRAPHS[:1]), "zh")
    result = merge_pieces_detailed([Piece("H", True, True, ["x"]), *body], "zh")
    assert result.paragraphs == ZH_PARAGRAPHS[:1]
    assert result.line_ids[0][0] == "x"


def test_english_indented_short_line_is_not_a_crosshead() -> None:
    # The engine cut an indented first line at a word space; layout took the rest for subheads.
    width = 26 * EN_CW
    first = build_pieces([en_line(0, "The premiere", indent=2)], "en", bounds=(50, 50 + width))
    assert not first[0].heading_like
    rest = [Piece("is part of", True, True, ["s1"]), Piece("a", True, True, ["s2"])]
    tail = build_pieces([Line("e9", (50, 300, 50 + width, 330), "season in which the orchestra plays."),
                         en_line(10, "It sold out.", indent=2, y=340)], "en", bounds=(50, 50 + width))
    assert merge_pieces(first + rest + tail, "en") == [
        "The premiere is part of a season in which the orchestra plays.", "It sold out.",
    ]


def test_zh_line_of_another_caption_above_does_not_make_gaps_look_wide() -> None:
    # Layout put a line of the neighbouring caption (same height as the first row) last in the block.
    lines = [_zh_line(0, "工人在鼓楼附近的永安桥上进行修缮作业，", 0),
             _zh_line(1, "这座石拱桥已有两百多年历史。", 0), _zh_line(0, "吸引众多市民", -8)]
    lines[2] = Line("z", lines[2].bbox, lines[2].text)
    pieces = build_pieces(lines, "zh", bounds=(100 - 8 * CW, 100 + 19 * CW))
    assert "vertical gap" not in pieces[0].end_evidence


def test_headline_rest_before_the_story_opening_is_not_body() -> None:
    opening = build_pieces(typeset_zh(["本报讯（记者柳芸）3月7日晚，新编越剧在大剧院首演。"], chars=8), "zh",
                           bounds=(100, 340))
    result = merge_pieces_detailed([Piece("首演", True, True, ["h"]), *opening], "zh")
    assert result.paragraphs == ["本报讯（记者柳芸）3月7日晚，新编越剧在大剧院首演。"]
    assert result.deck == ["首演"]
    assert result.line_ids[0] == opening[0].line_ids
    # A continued story's part on a later page may open on a crosshead: it stays.
    part = build_pieces(typeset_zh(["吞吐量快速增长的背后，是效率的提升。"], chars=8), "zh", bounds=(100, 340))
    result = merge_pieces_detailed([Piece("智慧码头提效率", True, True, ["h"]), *part], "zh")
    assert result.paragraphs == ["智慧码头提效率", "吞吐量快速增长的背后，是效率的提升。"] and not result.deck


def test_zh_two_captions_side_by_side_in_one_block() -> None:
    # Two photos side by side, their captions made one block by layout, listed caption by caption.
    a1, a2 = "3月13日，澜江滨江公园里的樱花竞相开放，吸引众多市民前来", "踏青赏花。■本报记者周立摄"
    b1, b2 = "工人在鼓楼附近的永安桥上进行修缮作业，这座石拱桥已有两百", "多年历史。■本报记者贺一鸣摄"
    lines = [Line("a1", (850, 2600, 850 + len(a1) * CW, 2630), a1), Line("a2", (850, 2640, 850 + len(a2) * CW, 2670), a2),
             Line("b1", (1800, 2600, 1800 + len(b1) * CW, 2630), b1),
             Line("b2", (1800, 2640, 1800 + len(b2) * CW, 2670), b2)]
    pieces = build_pieces(lines, "zh", bounds=(850, 1800 + len(b1) * CW))
    assert merge_pieces(pieces, "zh") == [a1 + a2, b1 + b2]


def test_english_crosshead_wrapped_over_two_one_line_blocks() -> None:
    width = 26 * EN_CW
    a = build_pieces([en_line(0, "Nothing in the old", indent=2),
                      Line("e1", (50, 100, 50 + width, 130), "readings could tell you that.")], "en",
                     bounds=(50, 50 + width))
    # A bold crosshead set wide: its first line neither full nor clearly short.
    first = Line("e2", (50, 300, 50 + 22 * EN_CW, 330), "Lessons for younger")
    head = [build_pieces([first], "en", bounds=(50, 50 + width)),
            build_pieces([en_line(3, "students", y=340)], "en", bounds=(50, 50 + width))]
    assert not head[0][0].heading_like and not head[0][0].end_known
    c = build_pieces([Line("e4", (50 + 2 * EN_CW, 380, 50 + width, 410), "The students designed the"),
                      en_line(5, "stations.", y=420)], "en", bounds=(50, 50 + width))
    assert merge_pieces(a + head[0] + head[1] + c, "en") == [
        "Nothing in the old readings could tell you that.", "Lessons for younger students",
        "The students designed the stations.",
    ]
    # The same lines ending on a comma are body text running on.
    head = [build_pieces([first], "en", bounds=(50, 50 + width)),
            build_pieces([en_line(3, "students,", y=340)], "en", bounds=(50, 50 + width))]
    assert len(merge_pieces(a + head[0] + head[1] + c, "en")) == 2


def test_zh_sentence_ending_one_character_short_ends_the_paragraph() -> None:
    # An eight-character column; the last line holds seven, its stop's box ending at the ink.
    rows = [(2, "这次演出中，"), (0, "四十多名演职人员"), (0, "里三十五岁以下的"), (0, "占了一半以上。")]
    lines = [_zh_line(i, t, ind) for i, (ind, t) in enumerate(rows)]
    last = lines[-1]
    lines[-1] = Line(last.id, (last.bbox[0], last.bbox[1], last.bbox[2] - 0.5 * CW, last.bbox[3]), last.text)
    pieces = build_pieces(lines, "zh", bounds=(100, 100 + 8 * CW))
    assert pieces[-1].ends_paragraph and pieces[-1].end_evidence == "short last line"
    # Seven characters without a sentence end: not known to end anything.
    lines[-1] = Line(last.id, lines[-1].bbox, "占了一半以上的")
    assert not build_pieces(lines, "zh", bounds=(100, 100 + 8 * CW))[-1].ends_paragraph


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
