"""Composing an article from its page blocks: a headline's rest set as headings above the dateline joins the
headline, and a subhead printed on two lines is listed once."""

from __future__ import annotations

from ocr_pipeline.layout.articles import PageArticle
from ocr_pipeline.layout.compose import compose_article
from ocr_pipeline.model import Block, Line, Page

CH = 30.0  # character size in px


def _page_and_blocks(spec: list[tuple[str, list[str], float]]) -> tuple[Page, list[Block]]:
    """Blocks of (kind, lines, left indent in characters), stacked down one column 12 characters wide."""
    page = Page(number=1, source="p.png", width=1000, height=2000)
    blocks, y = [], 100.0
    for k, (kind, texts, indent) in enumerate(spec, 1):
        ids = []
        for j, text in enumerate(texts):
            x0 = 100 + (indent * CH if j == 0 else 0)
            ln = Line(id=f"l{k}{j}", bbox=(x0, y, x0 + CH * len(text), y + CH), text=text)
            page.lines.append(ln)
            ids.append(ln.id)
            y += 1.5 * CH
        xs = [page.line_map()[i].bbox for i in ids]
        blocks.append(Block(id=f"b{k}", kind=kind, bbox=(100, xs[0][1], 100 + 12 * CH, xs[-1][3]), line_ids=ids))
        y += CH
    page.blocks = blocks
    return page, blocks


def test_headings_above_the_dateline_finish_the_headline() -> None:
    page, (head, rest, body) = _page_and_blocks([
        ("headline", ["澜州港一季度吞吐量"], 0),
        ("subhead", ["同比增长一成半"], 2),
        ("body", ["本报讯（记者杜文涛）记者", "从澜州港务集团获悉，今年", "前两个月集装箱吞吐量同比", "增长一成半。"], 2),
    ])
    art = compose_article(page, PageArticle(headline=[head], blocks=[rest, body]), "p01-a01", "zh")
    assert art.headline == "澜州港一季度吞吐量同比增长一成半"
    assert art.subheads == []
    assert art.paragraphs and art.paragraphs[0].startswith("本报讯")


def test_crosshead_without_a_dateline_after_it_stays_a_subhead() -> None:
    page, (head, body1, sub, body2) = _page_and_blocks([
        ("headline", ["澜州港一季度吞吐量"], 0),
        ("body", ["本报讯（记者杜文涛）记者", "从澜州港务集团获悉，今年", "吞吐量同比增长。"], 2),
        ("subhead", ["新航线带来新货源"], 2),
        ("body", ["一月中旬，澜州港开通直航", "航线，每周各一班。"], 2),
    ])
    art = compose_article(page, PageArticle(headline=[head], blocks=[body1, sub, body2]), "p01-a01", "zh")
    assert art.headline == "澜州港一季度吞吐量"
    assert art.subheads == ["新航线带来新货源"]
