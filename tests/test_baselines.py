"""The naive-edition builder of ``benchmarks/baselines.py`` on hand-made lines, scored by ``evaluate``.

No OCR runs here: the lines stand for what a naive whole-page OCR returns, so that the test checks how
the baseline's edition is built and that ``evaluate`` reads it as intended.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ocr_pipeline.engines.ppocr import reading_order
from ocr_pipeline.evaluate import evaluate
from ocr_pipeline.model import Article, Block, BlockRef, Edition, Line, Page, dumps, loads

REPO = Path(__file__).resolve().parents[1]

# Two short articles written for this test, laid out in two columns of three lines each.
LEFT = ["河口镇新建的渡口码头", "本月正式投入使用，往返", "两岸的时间缩短了一半。"]
RIGHT = ["镇上的老茶馆重新开张，", "不少街坊一早就来排队，", "店主说价格维持不变。"]
EN = ["The ferry landing at the", "river mouth opened this", "month, halving the trip."]


@pytest.fixture(scope="module")
def bl() -> ModuleType:
    spec = importlib.util.spec_from_file_location("baselines_under_test", REPO / "benchmarks" / "baselines.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the class is being made
    spec.loader.exec_module(mod)
    return mod


def _column_lines(texts: list[str], x0: float, prefix: str) -> list[Line]:
    return [Line(id=f"{prefix}{i}", bbox=(x0, 100 + 50 * i, x0 + 400, 140 + 50 * i), text=t)
            for i, t in enumerate(texts)]


def _truth() -> tuple[Edition, list[Line]]:
    """One page, two columns, one article per column; each column one body block."""
    left = _column_lines(LEFT, 100, "L")
    right = _column_lines(RIGHT, 600, "R")
    page = Page(number=1, source="page-01.png", width=1100, height=400, lines=left + right)
    page.blocks = [
        Block("bL", "body", (100, 100, 500, 240), [ln.id for ln in left], article_id="a1"),
        Block("bR", "body", (600, 100, 1000, 240), [ln.id for ln in right], article_id="a2"),
    ]
    page.reading_order = ["bL", "bR"]
    articles = [
        Article("a1", headline="渡口码头启用", paragraphs=["".join(LEFT)], pages=[1], blocks=[BlockRef(1, "bL")]),
        Article("a2", headline="老茶馆开张", paragraphs=["".join(RIGHT)], pages=[1], blocks=[BlockRef(1, "bR")]),
    ]
    return Edition(id="t", language="zh", pages=[page], articles=articles), left + right


def test_join_lines_by_script(bl: ModuleType) -> None:
    assert bl.join_lines(["第一行", " 第二行 ", ""], "zh") == "第一行第二行"
    assert bl.join_lines(["first line", "second-", "line"], "en") == "first line second- line"
    assert bl.join_lines(["a", "b"], "zh-Hans") == "ab"


def test_naive_edition_shape_and_round_trip(bl: ModuleType) -> None:
    _, lines = _truth()
    pages = [bl.OcrPage(1, "page-01.jpg", 1100, 400, lines), bl.OcrPage(2, "page-02.jpg", 1100, 400, [])]
    ed = bl.naive_edition("t", "zh", pages, "ppocr")
    assert [a.pages for a in ed.articles] == [[1], [2]]
    first = ed.articles[0]
    assert first.headline == "" and first.paragraphs == ["".join(LEFT + RIGHT)]
    assert ed.articles[1].paragraphs == []  # an empty page gives an empty article, not an empty paragraph
    p1 = ed.pages[0]
    assert len(p1.blocks) == len(lines) and all(len(b.line_ids) == 1 for b in p1.blocks)
    assert p1.reading_order == [b.id for b in p1.blocks]
    assert [p1.line_map()[b.line_ids[0]].text for b in p1.blocks] == [ln.text for ln in lines]
    assert {b.article_id for b in p1.blocks} == {first.id}
    assert [r.block_id for r in first.blocks] == p1.reading_order
    assert loads(dumps(ed)) == ed


def test_column_order_scores_perfect_page_text(bl: ModuleType) -> None:
    truth, lines = _truth()
    naive = bl.naive_edition("t", "zh", [bl.OcrPage(1, "p.jpg", 1100, 400, lines)], "x")
    rep = evaluate(truth, naive)
    page = rep.pages[0]
    # evaluate's page text breaks the line between blocks: one block per line pays one edit per line
    # that the truth has inside a block (2 per column here); the flat text does not.
    assert page.text_distance == 2 * (len(LEFT) - 1) and page.text_chars > 0
    assert page.order_distance == 0.0
    assert bl.flat_distance(truth, naive) == (len("".join(LEFT + RIGHT)), 0)
    # One article for the whole page holds both truth articles: merged, so neither is matched.
    assert rep.count("matched") == 0 and rep.count("merged") == 2
    assert rep.body_cer == pytest.approx(1.0)


def test_top_to_bottom_order_interleaves_columns(bl: ModuleType) -> None:
    truth, lines = _truth()
    naive = [lines[i] for i in reading_order([ln.bbox for ln in lines])]
    assert [ln.text for ln in naive[:2]] == [LEFT[0], RIGHT[0]]
    pred = bl.naive_edition("t", "zh", [bl.OcrPage(1, "p.jpg", 1100, 400, naive)], "ppocr")
    rep = evaluate(truth, pred)
    page = rep.pages[0]
    assert page.text_distance is not None and page.text_distance > 2 * (len(LEFT) - 1)
    chars, dist = bl.flat_distance(truth, pred)
    assert chars > dist > 0
    # Block sequence L R L R L R collapses to nothing shorter: far from the truth's L R.
    assert page.order_distance is not None and page.order_distance > 0.5


def test_single_article_page_is_matched_without_headline(bl: ModuleType) -> None:
    lines = _column_lines(EN, 100, "E")
    page = Page(1, "page-01.png", 600, 400, lines=lines,
                blocks=[Block("b", "body", (100, 100, 500, 240), [ln.id for ln in lines], article_id="a")],
                reading_order=["b"])
    truth = Edition(id="e", language="en", pages=[page], articles=[
        Article("a", headline="Ferry Landing Opens",
                paragraphs=[" ".join(EN[:2]), EN[2]], pages=[1], blocks=[BlockRef(1, "b")])])
    pred = bl.naive_edition("e", "en", [bl.OcrPage(1, "p.jpg", 600, 400, lines)], "tesseract")
    row = bl.Row.from_report("tesseract", "e", 1, 2.0, 3.0, evaluate(truth, pred), bl.flat_distance(truth, pred))
    assert row.matched == 1 and row.truth_articles == 1
    # Same words, but the truth's paragraph break is missing: one "\n" more in the truth.
    assert row.body_distance == 1
    assert row.headline_cer == pytest.approx(1.0)
    assert row.paragraphs.tp == 0 and row.paragraphs.fn == 1
    assert row.text_distance == len(EN) - 1  # line breaks where the truth has spaces
    assert row.flat_cer == 0.0 and row.flat_chars == len(" ".join(EN))
    total = bl.Row.total("tesseract", [row, row])
    assert total.pages == 2 and total.body_chars == 2 * row.body_chars
    assert total.figures()["ocr_seconds_per_page"] == pytest.approx(2.0)
    assert "tesseract" in total.line() and "ALL" in total.line()
