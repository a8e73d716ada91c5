"""Time to export a synthetic 16-page edition (target: < 2 s); prints one line.

Two figures: the formats ``ocr-pipeline export`` rebuilds by default (text, NewsML-G2, ALTO), and all
four with ``edition.json``, whose indented encoding is most of the cost.

A page: 5 columns x 90 CJK lines of 16 characters with character boxes, plus Latin lines with word boxes,
blocks grouped into 8 articles, rules and a photo; one article per page continues on the next page.

    python benchmarks/export_bench.py [--pages 16] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_pipeline.export import FORMATS, export_edition  # noqa: E402
from ocr_pipeline.model import (  # noqa: E402
    Article,
    Block,
    BlockRef,
    Char,
    Continuation,
    Edition,
    Line,
    Page,
    ProcessingStep,
    Separator,
)

CJK = "近年来城市更新工作稳步推进居民生活条件明显改善街区里新开了书店和咖啡馆老人们在树下下棋孩子们在广场上奔跑"
LATIN = "The harbour bridge reopened on Thursday after two years of repairs to its deck".split()


def synthetic_page(n: int, articles: list[Article]) -> Page:
    lines, blocks = [], []
    size, col_w, per_article = 30, 440, 5 * 90 // 8
    for col in range(5):
        x0 = 60 + col * (col_w + 36)
        for row in range(90):
            i = col * 90 + row
            y = 200 + row * 35
            lid = f"p{n}-l{i}"
            if row % 15 == 14:  # a Latin line with word boxes now and then
                words, pos = [], float(x0)
                for w in LATIN[: 6]:
                    words.append(Char(w, (pos, y, pos + len(w) * 13, y + 24), 0.9))
                    pos += len(w) * 13 + 10
                lines.append(Line(lid, (x0, y, pos - 10, y + 24), " ".join(LATIN[:6]), 0.9, words=words))
            else:
                text = (CJK * 2)[i % len(CJK): i % len(CJK) + 14]
                chars = [Char(c, (x0 + k * size, y, x0 + (k + 1) * size, y + size), 0.96) for k, c in enumerate(text)]
                lines.append(Line(lid, (x0, y, x0 + len(text) * size, y + size), text, 0.96, chars=chars))
    for a in range(8):
        ids = [ln.id for ln in lines[a * per_article:(a + 1) * per_article]]
        box = lines[a * per_article].bbox
        bid = f"p{n}-b{a}"
        blocks.append(Block(bid, "body" if a % 3 else "headline", (box[0], box[1], box[0] + 440, box[1] + 35 * len(ids)),
                            ids, None, f"p{n}-a{a}"))
        art = Article(f"p{n}-a{a}", f"第{n}版 第{a}篇 标题", paragraphs=[CJK * 3] * 6, pages=[n],
                      blocks=[BlockRef(n, bid)], confidence=0.9)
        articles.append(art)
    blocks.append(Block(f"p{n}-photo", "photo", (60, 3300, 900, 3380)))
    seps = [Separator(f"p{n}-r{c}", "vrule", (x, 200, x + 3, 3350)) for c, x in enumerate(range(518, 2400, 476))]
    seps.append(Separator(f"p{n}-h", "hrule", (60, 180, 2340, 183)))
    return Page(n, f"page-{n:02d}.png", 2400, 3400, 300.0, lines, blocks, seps, [b.id for b in blocks],
                provenance=[ProcessingStep("ocr", "ppocr", "1.4.4", "PP-OCRv4")])


def synthetic_edition(pages: int) -> Edition:
    arts: list[Article] = []
    page_list = [synthetic_page(n, arts) for n in range(1, pages + 1)]
    for n in range(1, pages):  # the last article of each page continues on the next
        art = arts[n * 8 - 1]
        art.pages = [n, n + 1]
        art.continuation = Continuation(n, n + 1)
    return Edition("bench-2025-01-02", "Bench Daily", "2025-01-02", "zh", page_list, arts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    edition = synthetic_edition(args.pages)
    n_lines = sum(len(p.lines) for p in edition.pages)
    n_chars = sum(len(ln.chars or ()) for p in edition.pages for ln in p.lines)
    # Wall time (what a user waits) and this process's CPU time: on a shared machine the first rises with
    # other people's load, the second much less.
    timings: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, formats in (("text+newsml+alto", ("text", "newsml", "alto")), ("+json", FORMATS)):
            best = (float("inf"), float("inf"))
            for r in range(args.repeat):
                start, cpu = time.perf_counter(), time.process_time()
                result = export_edition(edition, Path(tmp) / f"{label}-{r}", formats)
                best = min(best, (time.perf_counter() - start, time.process_time() - cpu))
            timings[label] = best
    (w1, c1), (w2, c2) = timings["text+newsml+alto"], timings["+json"]
    print(f"export {args.pages} pages ({n_lines} lines, {n_chars} char boxes, {len(edition.articles)} articles, "
          f"{result.count} files), best of {args.repeat}: text+newsml+alto {w1:.2f} s (cpu {c1:.2f} s), "
          f"all four with edition.json {w2:.2f} s (cpu {c2:.2f} s); target < 2 s")

if __name__ == "__main__":
    main()
