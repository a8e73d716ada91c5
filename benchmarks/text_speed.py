"""The text stage's share of a page's time: paragraphs, joins and normalisation of every article on a page
(``compose_article``) against the OCR of that page, on the committed scanned samples (issue 5 target: at
most 1% of the OCR time). jieba's and wordfreq's dictionaries load once per process: that is done and timed
first, and left out of the share. The figure is each page's first text run (word caches cold); the fastest
of ``--repeat`` further runs is given beside it. One line per edition and one overall line.

    python benchmarks/text_speed.py [--editions zh-daily-1,zh-daily-2,en-daily-1] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_pipeline.ingest import discover  # noqa: E402
from ocr_pipeline.layout.compose import compose_article  # noqa: E402
from ocr_pipeline.pipeline import Converter, PageResult, PageTiming  # noqa: E402
from ocr_pipeline.settings import ConvertSettings  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _compose_page(res: PageResult, lang: str) -> int:
    for i, pa in enumerate(res.articles, 1):
        compose_article(res.page, pa, f"p{res.page.number:02d}-a{i:02d}", lang)
    return len(res.articles)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--editions", default="zh-daily-1,zh-daily-2,en-daily-1")
    ap.add_argument("--repeat", type=int, default=5, help="text runs per page; the fastest counts")
    args = ap.parse_args()
    t = time.perf_counter()
    _load_dictionaries()
    load = time.perf_counter() - t
    all_ocr = all_text = all_best = 0.0
    pages_total = 0
    for name in args.editions.split(","):
        lang = "en" if name.startswith("en") else "zh"
        converter = Converter(ConvertSettings(lang=lang))
        (esrc,) = discover([SAMPLES / name / "scanned"])
        ocr = text = best_sum = 0.0
        articles = lines = 0
        for n, src in enumerate(esrc.pages, 1):
            timing = PageTiming()
            res = converter.convert_page(src, n, timing)
            t = time.perf_counter()
            articles += _compose_page(res, lang)
            text += time.perf_counter() - t
            best = float("inf")
            for _ in range(args.repeat):
                t = time.perf_counter()
                _compose_page(res, lang)
                best = min(best, time.perf_counter() - t)
            best_sum += best
            ocr += timing.ocr
            lines += len(res.page.lines)
        pages = len(esrc.pages)
        pages_total += pages
        all_ocr += ocr
        all_text += text
        all_best += best_sum
        print(f"{name}: {pages} pages, {articles} articles, {lines} lines; OCR {ocr / pages:.2f} s/page, "
              f"text {1000 * text / pages:.1f} ms/page = {100 * text / ocr:.2f}% of OCR "
              f"(warm {1000 * best_sum / pages:.1f} ms)")
    print(f"overall: {pages_total} pages, OCR {all_ocr / pages_total:.2f} s/page, text "
          f"{1000 * all_text / pages_total:.1f} ms/page = {100 * all_text / all_ocr:.2f}% of OCR (target 1%; "
          f"warm {1000 * all_best / pages_total:.1f} ms); dictionaries loaded once per process in {load:.2f} s "
          f"(not counted)")


def _load_dictionaries() -> None:
    from ocr_pipeline.text.join import _jieba, _word_tags, word_zipf

    _jieba()
    _word_tags()
    word_zipf("reconstruction", "en")


if __name__ == "__main__":
    main()
