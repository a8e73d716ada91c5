"""Reading order on real pages: the NZZ pages' own text lines (PAGE) re-segmented by our layout and
scored against the ReadingOrder their editors recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocr_pipeline.api import ConvertSettings, convert
from ocr_pipeline.evaluate import TruthPage, evaluate, read_page_xml
from ocr_pipeline.evaluate.core import load_prediction
from ocr_pipeline.model import Edition

NZZ = Path(__file__).resolve().parents[2] / "shared" / "real" / "nzz"

# Measured 2026-11-27: 0.000 (1939) and 0.062 (1870; 2 edits in 33). Before the masthead strip was read
# by columns and an author's mark ("-ei-") stopped opening an article: 0.121 and 0.212.
BOUNDS = {
    "nzz_19390611_0_0_a1_p1_1": 0.03,
    "nzz_18701230_0_0_a1_p1_1": 0.08,
}


def _converted(name: str, out: Path) -> tuple[TruthPage, Edition]:
    xml = NZZ / f"{name}.page.xml"
    if not xml.exists():
        pytest.skip(f"{xml} is absent")
    result = convert([xml], out, ConvertSettings(lang="de"))
    assert result.exit_code == 0
    (edition_json,) = out.glob("*/edition.json")
    return read_page_xml(xml), load_prediction(edition_json)


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_nzz_reading_order_distance(name: str, tmp_path: Path) -> None:
    truth, pred = _converted(name, tmp_path)
    page = evaluate(truth, pred).pages[0]
    # Nearly every region is found, so the distance measures order and not detection.
    assert page.order_regions_matched >= len(truth.reading_order) - 1
    assert page.order_distance is not None and page.order_distance <= BOUNDS[name]


def test_nzz_masthead_ears_read_by_column(tmp_path: Path) -> None:
    """The 1939 masthead: the left ear (day, date, sheet) top to bottom, then the title, then the right
    ear; the first lines of the two ears stand on one row across the title and must stay apart."""
    _truth, pred = _converted("nzz_19390611_0_0_a1_p1_1", tmp_path)
    page = pred.pages[0]
    lm, bm = page.line_map(), page.block_map()
    strip = [bm[b] for b in page.reading_order if bm[b].kind == "masthead"]
    texts = [" / ".join(lm[i].text for i in b.line_ids) for b in strip]
    joined = " | ".join(texts)
    assert joined.index("Sonntag") < joined.index("1939") < joined.index("Blatt") < joined.index("Zürcher") \
        < joined.index("Zweite") < joined.index("1051"), joined
    assert not any("Zweite" in t and "1939" in t for t in texts), texts


def test_nzz_feuilleton_is_one_article(tmp_path: Path) -> None:
    """The 1939 feuilleton under the rule runs through four columns with no headline but its own: short
    last lines of paragraphs ("nennen.") and boxes that overlap where blocks meet do not start articles,
    and an author's mark at the end of a paragraph ("-ei-") is no headline."""
    _truth, pred = _converted("nzz_19390611_0_0_a1_p1_1", tmp_path)
    page = pred.pages[0]
    (story,) = [a for a in pred.articles if a.headline.startswith("Doktor Klarblick")]
    wide = [b for b in page.blocks if b.article_id == story.id and b.kind == "body" and b.bbox[2] - b.bbox[0] > 600]
    assert len({round(b.bbox[0], -2) for b in wide}) == 4, [b.bbox for b in wide]
    text = " ".join(story.paragraphs)
    assert "Seine Praxis verkaufte" in text and "Seine Gewohnheiten waren einfach" in text
    assert not any(a.headline.strip() == "-ei-" for a in pred.articles)
    assert any("-ei-" in p for a in pred.articles for p in a.paragraphs)


def test_nzz_1870_centred_heads_open_articles(tmp_path: Path) -> None:
    """1870: body-size headings centred under a short rule and ending on a full stop ("Aus Versailles.",
    "Eidgenossenschaft.") open articles of their own; the correspondence runs on into the next column."""
    _truth, pred = _converted("nzz_18701230_0_0_a1_p1_1", tmp_path)
    heads = [a.headline for a in pred.articles]
    assert [h.split(".")[0] for h in heads] == ["Tagesbericht vom 29", "Aus Versailles", "Eidgenossenschaft"], heads
    versailles = " ".join(pred.articles[1].paragraphs)
    assert "Ich komme heute etwas" in versailles and "Einberufung einer" in versailles


def test_nzz_1939_centred_head_over_its_text_opens_an_article(tmp_path: Path) -> None:
    """"Schweizerische Spanienhilfe", centred over its column and set close above the text, is that
    article's headline, not a first line of the university story beside it."""
    _truth, pred = _converted("nzz_19390611_0_0_a1_p1_1", tmp_path)
    by_head = {a.headline: a for a in pred.articles}
    assert "Schweizerische Spanienhilfe" in by_head
    assert not any("Spanienkinder" in p for p in by_head["Einweihung des Basler Universitätsneubaues"].paragraphs)
