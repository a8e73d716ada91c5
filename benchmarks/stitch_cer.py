"""Does stitching a jumped article cost characters? For each article of the committed samples that
jumps, compare the body CER of the stitched article (as ``evaluate`` scores it) with the CER of its two
parts read on their own pages (each page's part against that page's share of the truth, lines joined
in reading order, no stitching involved). Prints one line per article and one overall line.

    python benchmarks/stitch_cer.py OUTDIR      # OUTDIR/<edition>/scanned/edition.json from convert

The issue's target: the stitched figure within 0.5 percentage points of the per-part one.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rapidfuzz.distance import Levenshtein

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_pipeline import model  # noqa: E402
from ocr_pipeline.evaluate import evaluate  # noqa: E402
from ocr_pipeline.evaluate.normalize import normalize_text  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
BODY = ("body", "subhead")


def _part_text(ed: model.Edition, article_blocks: list[model.BlockRef], page_no: int) -> str:
    page = ed.page(page_no)
    lm, bm = page.line_map(), page.block_map()
    ids = [r.block_id for r in article_blocks if r.page == page_no]
    # Reading order of the page, restricted to the article's text blocks.
    order = [b for b in page.reading_order if b in ids and bm[b].kind in BODY]
    text = "".join(lm[i].text for b in order for i in bm[b].line_ids if i in lm)
    return "".join(normalize_text(text).split())


def main(outdir: Path) -> None:
    tot_s = tot_p = tot_n = 0.0
    for edition in ("zh-daily-1", "zh-daily-2", "en-daily-1"):
        truth = model.load(SAMPLES / edition / "truth.json")
        pred = model.load(outdir / edition / "scanned" / "edition.json")
        report = evaluate(truth, pred)
        rows = {r["id"]: r for r in report.to_dict()["articles"]}
        for ta in truth.articles:
            if ta.continuation is None:
                continue
            row = rows[ta.id]
            pa = next((a for a in pred.articles if a.id == row.get("predicted_id")), None)
            if pa is None:
                print(f"{edition} {ta.id}: not found")
                continue
            d = n = 0
            for page_no in sorted(set(ta.pages)):
                want = _part_text(truth, ta.blocks, page_no)
                got = _part_text(pred, pa.blocks, page_no)
                d += Levenshtein.distance(got, want)
                n += len(want)
            parts = d / n
            stitched = row["cer"]
            tot_s += stitched * n
            tot_p += parts * n
            tot_n += n
            print(f"{edition} {ta.id} pages {ta.pages}: stitched CER {stitched * 100:.2f}% parts read alone "
                  f"{parts * 100:.2f}% difference {100 * (stitched - parts):+.2f} pp")
    print(f"overall: stitched {100 * tot_s / tot_n:.2f}% parts {100 * tot_p / tot_n:.2f}% "
          f"difference {100 * (tot_s - tot_p) / tot_n:+.2f} pp (target within 0.5 pp)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
