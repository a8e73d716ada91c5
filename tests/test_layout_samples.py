"""Layout, reading order, articles and continuations on the committed sample editions.

Fast tests feed the ground truth's own lines (exact text and boxes, no OCR) through layout and edition
assembly, so they measure segmentation and order alone; a slow test converts a scanned edition end to
end with the default engine."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from ocr_pipeline import model
from ocr_pipeline.evaluate import evaluate
from ocr_pipeline.evaluate.perfect import edition_from_truth_lines
from ocr_pipeline.layout import analyze_page
from ocr_pipeline.model import Edition, Page

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
# Lower bounds for articles matched one-to-one, from perfect lines. English is behind: crossheads set
# bold and left-aligned are not told from body text yet (measured 0.71 on 2026-11-27).
EDITIONS = [("zh-daily-1", "zh", 0.85), ("zh-daily-2", "zh", 0.85), ("en-daily-1", "en", 0.7)]


@pytest.mark.parametrize("edition,lang,matched", EDITIONS)
def test_articles_from_perfect_lines(edition: str, lang: str, matched: float) -> None:
    truth = model.load(SAMPLES / edition / "truth.json")
    report = evaluate(truth, edition_from_truth_lines(truth, lang))
    o = report.to_dict()["overall"]
    assert o["matched_rate"] >= matched, o
    assert o["body_cer"] <= 0.15, o
    links = o["continuation_links"]
    assert links["precision"] == 1.0 and links["recall"] >= 0.5, links
    assert o["reading_order_distance"] <= 0.25, o


def test_pages_out_of_order_give_the_same_articles() -> None:
    truth = model.load(SAMPLES / "zh-daily-1" / "truth.json")
    straight = edition_from_truth_lines(truth, "zh")
    shuffled_truth = copy.deepcopy(truth)
    shuffled_truth.pages.reverse()
    shuffled = edition_from_truth_lines(shuffled_truth, "zh")

    def key(ed: Edition) -> list[tuple[str, tuple[str, ...], tuple[int, ...]]]:
        return sorted((a.headline, tuple(a.paragraphs), tuple(a.pages)) for a in ed.articles)

    assert key(straight) == key(shuffled)


@pytest.mark.slow
def test_scanned_edition_end_to_end(tmp_path: Path) -> None:
    from ocr_pipeline.api import convert
    from ocr_pipeline.settings import ConvertSettings

    result = convert([SAMPLES / "zh-daily-1" / "scanned"], tmp_path, ConvertSettings(lang="zh"))
    assert result.exit_code == 0
    pred = model.load(tmp_path / "scanned" / "edition.json")
    truth = model.load(SAMPLES / "zh-daily-1" / "truth.json")
    o = evaluate(truth, pred).to_dict()["overall"]
    # Measured 5.0% body CER, 92.9% matched, links 1.0/1.0 (2026-11-27); the bounds leave room for
    # ONNX Runtime builds that differ in the last digits.
    assert o["body_cer"] <= 0.10, o
    assert o["matched_rate"] >= 0.85, o
    assert o["continuation_links"]["precision"] == 1.0 and o["continuation_links"]["recall"] == 1.0, o


def test_the_layout_profile_names_the_jump_lines(tmp_path: Path) -> None:
    """A paper's own jump wording, one line in its profile, makes layout set that line apart as a jump."""
    from ocr_pipeline.model import Line

    toml = tmp_path / "tageblatt.toml"
    toml.write_text('extends = "generic"\n[jumps]\nout = [\'(?i:fortsetzung\\s+auf\\s+seite)\\s*{page}\']\n',
                    encoding="utf-8")
    texts = ["Die Stadt baut am Hafen eine neue Brücke über den", "Fluss, die im Herbst eröffnet werden soll und",
             "den Verkehr in der Altstadt entlasten wird. Die", "Fortsetzung auf Seite 3"]
    results = {}
    for profile in ("generic", str(toml)):
        lines = [Line(id=f"l{i}", bbox=(100.0, 100.0 + 40 * i, 600.0 if i < 3 else 420.0, 130.0 + 40 * i), text=t)
                 for i, t in enumerate(texts)]
        page = Page(number=1, source="p.png", width=2000, height=3000, lines=lines)
        analyze_page(page, merge_rows=False, profile=profile)
        results[profile] = {b.kind for b in page.blocks if "l3" in b.line_ids}
    assert results[str(toml)] == {"jump"}
    assert results["generic"] != {"jump"}
