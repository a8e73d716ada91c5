"""Layout's share of a page's time: regions, blocks, kinds, reading order and articles against OCR, on
the committed scanned samples (issue target: layout at most 5% of the OCR time). One line per edition and
one overall line.

    python benchmarks/layout_share.py [--editions zh-daily-1,zh-daily-2,en-daily-1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_pipeline.ingest import discover  # noqa: E402
from ocr_pipeline.pipeline import Converter, PageTiming, assemble_edition  # noqa: E402
from ocr_pipeline.settings import ConvertSettings  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--editions", default="zh-daily-1,zh-daily-2,en-daily-1")
    args = ap.parse_args()
    total = PageTiming()
    text_seconds = 0.0
    for name in args.editions.split(","):
        lang = "en" if name.startswith("en") else "zh"
        converter = Converter(ConvertSettings(lang=lang))
        (esrc,) = discover([SAMPLES / name / "scanned"])
        timing = PageTiming()
        results = [converter.convert_page(src, n, timing) for n, src in enumerate(esrc.pages, 1)]
        # Articles' text, continuations: the edition stage, timed apart.
        from ocr_pipeline.model import Edition

        ed = Edition(id=name, language=lang, pages=[r.page for r in results])
        t = time.perf_counter()
        assemble_edition(ed, results, lang)
        text_seconds += time.perf_counter() - t
        for f in ("load", "preprocess", "ocr", "layout"):
            setattr(total, f, getattr(total, f) + getattr(timing, f))
        print(f"{name}: {len(results)} pages, OCR {timing.ocr:.1f} s, layout {timing.layout:.2f} s "
              f"({100 * timing.layout / timing.ocr:.1f}% of OCR), preprocess {timing.preprocess:.2f} s")
    print(f"overall: OCR {total.ocr:.1f} s, layout {total.layout:.2f} s = {100 * total.layout / total.ocr:.1f}% "
          f"of OCR (target 5%), text + continuations {text_seconds:.2f} s = {100 * text_seconds / total.ocr:.1f}%, "
          f"preprocess {100 * total.preprocess / total.ocr:.1f}%")


if __name__ == "__main__":
    main()
