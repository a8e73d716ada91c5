"""`ocr-pipeline convert` on a rendered Chinese and English page with each engine: seconds per page and
character error rate of the converted text against the text that was printed.

    python benchmarks/convert_pages.py                       # ppocr, tesseract, paddleocr (where installed)
    python benchmarks/convert_pages.py --engines ppocr

The pages are 1,800 x 2,400 px, three columns with a ruled and a white gutter and a spanning headline
(tests/render.py, text written for the tests). CER: Levenshtein distance between the article text
(all paragraphs, whitespace removed for Chinese, collapsed for English) and the printed body text, over
the printed length. One line per engine and language; the time is that of a second conversion of
the page by the same converter (models already loaded), layout and articles included.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from rapidfuzz.distance import Levenshtein

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_pipeline.engines import engine_class  # noqa: E402
from ocr_pipeline.ingest import discover  # noqa: E402
from ocr_pipeline.pipeline import Converter  # noqa: E402
from ocr_pipeline.settings import ConvertSettings  # noqa: E402
from tests.render import render_columns_page, save  # noqa: E402


def _norm(text: str, lang: str) -> str:
    return "".join(text.split()) if lang == "zh" else " ".join(text.split())


def run(engine: str, lang: str, workdir: Path) -> tuple[float, float, int]:
    page = render_columns_page(lang=lang, ncols=3, gutter=30, rule_after=(0,), width=1800, height=2400)
    src = save(page, workdir / f"{lang}-page.png")
    want = _norm(("" if lang == "zh" else " ").join(s for col in page.column_lines for s in col), lang)
    converter = Converter(ConvertSettings(engine=engine, lang=lang))
    (edition_source,) = discover([src])
    converter.convert_edition(edition_source)  # loads the models
    t = time.perf_counter()
    ed = converter.convert_edition(edition_source)
    seconds = time.perf_counter() - t
    got = _norm(("" if lang == "zh" else " ").join(p for a in ed.articles for p in a.paragraphs), lang)
    return seconds, Levenshtein.distance(got, want) / len(want), len(want)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engines", default="ppocr,tesseract,paddleocr")
    ap.add_argument("--langs", default="zh,en")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engines.split(","):
            info = engine_class(engine).info()
            if not info.available:
                print(f"{engine}: not available ({info.reason})")
                continue
            for lang in args.langs.split(","):
                seconds, cer, n = run(engine, lang, Path(tmp))
                print(f"engine={engine} lang={lang} seconds_per_page={seconds:.2f} cer={cer * 100:.2f}% chars={n}")


if __name__ == "__main__":
    main()
