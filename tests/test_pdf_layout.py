"""Born-digital PDF pages: text-layer lines cut at the gutters the drawn page shows, and the committed digital
samples laid out from their text layer plus the drawn page (rules, photos, columns, ink)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocr_pipeline.evaluate import evaluate
from ocr_pipeline.evaluate.core import load_ground_truth
from ocr_pipeline.ingest import discover
from ocr_pipeline.layout.grid import split_at_gutters
from ocr_pipeline.model import Char, Edition, Line
from ocr_pipeline.pipeline import Converter, assemble_edition
from ocr_pipeline.settings import ConvertSettings

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _line(text: str, x0: float, y0: float, char_w: float, h: float, gap_at: int | None = None,
          gap: float = 0.0) -> Line:
    chars, x = [], x0
    for i, ch in enumerate(text):
        if i == gap_at:
            x += gap
        w = char_w if ch != " " else char_w * 0.4
        chars.append(Char(ch, (x, y0, x + w, y0 + h), 1.0))
        x += w
    return Line(id="l1", bbox=(x0, y0, x, y0 + h), text=text, chars=chars)


def test_a_line_across_a_gutter_is_cut_there() -> None:
    columns = [(100.0, 446.0), (474.0, 818.0)]
    # "curveball with" ends at x = 430 (13 letters of 24.6 px and a space); the next column's words start
    # 40 px later, across the gutter's middle (460).
    crossing = _line("curveball withfinal out", 100, 500, 24.6, 50, gap_at=14, gap=40)
    body = [_line("an ordinary line of body text", 100, 400 + 60 * k, 11.9, 50) for k in range(5)]
    out = split_at_gutters([crossing, *body], columns)
    assert [ln.text for ln in out][:2] == ["curveball with", "final out"]
    left, right = out[0], out[1]
    assert left.bbox[2] <= 446 and right.bbox[0] >= 446
    assert [ln.text for ln in out[2:]] == [ln.text for ln in body]


def test_headline_word_space_over_a_gutter_is_kept() -> None:
    columns = [(100.0, 446.0), (474.0, 818.0)]
    body = [_line("an ordinary line of body text", 100, 400 + 60 * k, 11.9, 50) for k in range(5)]
    # Twice the body size: a headline across both columns, its word space over the gutter.
    head = _line("Harbor Rising", 300, 200, 26.0, 100, gap_at=6, gap=30)
    out = split_at_gutters([head, *body], columns)
    assert out[0].text == "Harbor Rising"
    # Lines without character boxes come through untouched.
    bare = Line(id="x", bbox=(100, 900, 800, 950), text="no boxes here")
    assert split_at_gutters([bare, *body], columns)[0] is bare


@pytest.mark.slow
@pytest.mark.parametrize(("edition", "lang", "bound"), [("zh-daily-1", "zh", 0.05), ("en-daily-1", "en", 0.10)])
def test_digital_samples_from_text_layer_and_drawn_page(edition: str, lang: str, bound: float) -> None:
    # Measured 2026-11-27: body CER 3.0% (zh-daily-1) and 6.5% (en-daily-1); from the text layer's lines
    # alone they were 31% and 60%.
    truth = load_ground_truth(SAMPLES / edition / "truth.json")
    conv = Converter(ConvertSettings(lang=lang))
    (es,) = discover([SAMPLES / edition / "digital.pdf"])
    results = [conv.convert_page(src, n) for n, src in enumerate(es.pages, 1)]
    assert all(r.page.provenance[0].name == "pdf-text" for r in results)
    ed = Edition(id=edition, language=lang, pages=[r.page for r in results])
    assemble_edition(ed, results, lang)
    rep = evaluate(truth, ed)
    assert rep.body_cer is not None and rep.body_cer < bound
    assert rep.matched_rate is not None and rep.matched_rate >= 0.9
    assert any(s.kind == "hrule" for r in results for s in r.page.separators)


def test_next_pdf_page_drawn_early_gives_the_same_layout(monkeypatch) -> None:
    # A run that names the next page starts drawing it, and finding its regions, while this page is laid
    # out; that page then takes the drawing instead of making its own, and comes out as it would alone.
    import ocr_pipeline.pipeline as pipeline

    (es,) = discover([SAMPLES / "en-daily-1" / "digital.pdf"])
    first, second = es.pages[:2]
    alone = Converter(ConvertSettings(lang="en")).convert_page(second, 2)
    drawn: list[int] = []
    real = pipeline._draw_for_layout
    monkeypatch.setattr(pipeline, "_draw_for_layout", lambda src: drawn.append(src.index) or real(src))
    conv = Converter(ConvertSettings(lang="en"))
    conv.convert_page(first, 1, next_src=second)
    assert drawn == [first.index, second.index]
    early = conv.convert_page(second, 2)
    assert drawn == [first.index, second.index]  # not drawn again
    assert [(ln.text, ln.bbox) for ln in early.page.lines] == [(ln.text, ln.bbox) for ln in alone.page.lines]
    assert early.page.blocks and early.page.blocks == alone.page.blocks
    assert early.page.separators == alone.page.separators and early.page.reading_order == alone.page.reading_order
    assert [[b.id for b in a.all_blocks] for a in early.articles] == [[b.id for b in a.all_blocks] for a in alone.articles]
    # A drawing made for another page is not taken.
    conv.convert_page(first, 1, next_src=second)
    conv.convert_page(es.pages[2], 3)
    assert drawn[-1] == es.pages[2].index


@pytest.mark.slow
def test_unmapped_glyphs_filled_in_by_ocr() -> None:
    # zh-daily-2's digital PDF has glyphs without a Unicode mapping: its font has no outline for them either,
    # so they print as boxes. The mapped characters around them must stay exact and no U+FFFD may remain.
    conv = Converter(ConvertSettings(lang="zh"))
    (es,) = discover([SAMPLES / "zh-daily-2" / "digital.pdf"])
    res = conv.convert_page(es.pages[0], 1)
    text = "".join(ln.text for ln in res.page.lines)
    assert "\ufffd" not in text
    assert "老城区" in text and "本报讯" in text
    assert [p.name for p in res.page.provenance][-1] == "ppocr"
