"""Time to build the quality report of a synthetic 16-page edition (targets: < 3 s, report.html < 5 MB);
prints one line.

A page: a 2,400 × 3,400 px JPEG with drawn text (what the pipeline saves as ``pages/page-NN.jpg``),
5 columns × 3 bands of articles (a headline over 2–3 columns, one body block per column), about 430 CJK
lines of 14 characters with character boxes, 5 % of lines below the confidence threshold, a masthead,
a folio and an unassigned block; every fourth article carries an unmatched jump flag. Drawing the
pages is setup and not timed. Two figures, medians of ``--repeat`` builds: ``build_report`` from the
folder (what ``ocr-pipeline report`` does, loading edition.json included) and ``write_report`` from the
edition in memory (what ``convert`` does).

    python benchmarks/report_bench.py [--pages 16] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from ocr_pipeline.model import Article, Block, BlockRef, Char, Edition, Flag, Line, Page, dump  # noqa: E402
from ocr_pipeline.report import build_report, write_report  # noqa: E402

CJK = "近年来城市更新工作稳步推进居民生活条件明显改善街区里新开了书店和咖啡馆老人们在树下下棋孩子们在广场上奔跑"
FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
FONT_BOLD = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"
W, H = 2400, 3400
MARGIN, GUTTER, SIZE = 100, 36, 30


def synthetic_page(n: int, rng: random.Random, folder: Path) -> tuple[Page, list[Article]]:
    img = Image.new("L", (W, H), 245)
    d = ImageDraw.Draw(img)
    body = ImageFont.truetype(FONT, SIZE, index=2)
    head = ImageFont.truetype(FONT_BOLD, SIZE * 2, index=2)
    page = Page(n, f"page-{n:02d}.tif", W, H, dpi=300)
    articles: list[Article] = []
    colw = (W - 2 * MARGIN - 4 * GUTTER) // 5
    k = n * 97

    def add_lines(x: int, y0: int, y1: int, font: ImageFont.FreeTypeFont, size: int, per: int) -> list[str]:
        nonlocal k
        ids = []
        y = y0
        while y + size * 1.4 < y1:
            text = "".join(CJK[(k + i) % len(CJK)] for i in range(per))
            k += per
            d.text((x, y), text, font=font, fill=25)
            conf = rng.uniform(0.4, 0.79) if rng.random() < 0.05 else rng.uniform(0.9, 0.995)
            step = size
            chars = [Char(c, (x + i * step, y, x + (i + 1) * step, y + size), min(1.0, conf + rng.uniform(-.05, .05)))
                     for i, c in enumerate(text)]
            lid = f"l{len(page.lines) + 1:04d}"
            page.lines.append(Line(lid, (x, y, x + per * step, y + size * 1.15), text, conf, chars=chars))
            ids.append(lid)
            y += int(size * 1.45)
        return ids

    def block(kind: str, ids: list[str], article: str | None) -> Block:
        lm = page.line_map()
        boxes = [lm[i].bbox for i in ids]
        bbox = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
        b = Block(f"b{len(page.blocks) + 1:03d}", kind, bbox, ids, article_id=article)
        page.blocks.append(b)
        return b

    block("masthead", add_lines(MARGIN, 40, 160, head, SIZE * 2, 8), None)
    bands = [(220, 1300), (1340, 2380), (2420, H - 160)]
    for bi, (y0, y1) in enumerate(bands):
        for ai, (c0, c1) in enumerate(((0, 2), (3, 4)) if bi % 2 == 0 else ((0, 1), (2, 4))):
            aid = f"p{n}a{len(articles) + 1}"
            art = Article(aid, pages=[n])
            x0 = MARGIN + c0 * (colw + GUTTER)
            hb = block("headline", add_lines(x0, y0, y0 + 110, head, SIZE * 2, 4 * (c1 - c0 + 1) + 1), aid)
            art.headline = page.line_map()[hb.line_ids[0]].text
            art.blocks.append(BlockRef(n, hb.id))
            for c in range(c0, c1 + 1):
                # The last column of the last band is left out of every article (an "unassigned block").
                owner = None if (bi == 2 and ai == 1 and c == c1) else aid
                b = block("body", add_lines(MARGIN + c * (colw + GUTTER), y0 + 120, y1, body, SIZE, 14), owner)
                if owner:
                    art.blocks.append(BlockRef(n, b.id))
                    lm = page.line_map()
                    art.paragraphs.append("".join(lm[i].text for i in b.line_ids))
            if len(articles) % 4 == 3:
                art.flags.append(Flag("unmatched-jump-out", f"jump line on page {n}: no continuation found",
                                      0.8, page=n, block_id=art.blocks[-1].block_id))
            articles.append(art)
    block("folio", add_lines(MARGIN, H - 120, H - 40, body, SIZE, 6), None)
    page.reading_order = [b.id for b in page.blocks]
    img.save(folder / "pages" / f"page-{n:02d}.jpg", quality=85)
    return page, articles


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(8)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "bench-edition"
        (folder / "pages").mkdir(parents=True)
        pages, articles = [], []
        for n in range(1, args.pages + 1):
            p, a = synthetic_page(n, rng, folder)
            pages.append(p)
            articles.extend(a)
        ed = Edition("bench-edition", "Bench Daily", "2025-01-02", "zh", pages=pages, articles=articles)
        dump(ed, folder / "edition.json")
        times, mem_times = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            s = build_report(folder)
            times.append(time.perf_counter() - t)
            t = time.perf_counter()
            write_report(ed, folder)
            mem_times.append(time.perf_counter() - t)
        secs, mem = statistics.median(times), statistics.median(mem_times)
        nlines = sum(len(p.lines) for p in pages)
        nblocks = sum(len(p.blocks) for p in pages)
        ok = secs < 3.0 and s.html_bytes < 5_000_000
        print(f"report_bench: {args.pages} pages {W}x{H} JPEG, {nblocks} blocks, {nlines} lines, "
              f"{s.characters} chars, {len(articles)} articles, {s.flags} flags: `report` (edition.json load + "
              f"build) {secs:.2f} s, build from memory (convert) {mem:.2f} s, median of {args.repeat} "
              f"(target < 3 s); report.html {s.html_bytes / 1e6:.2f} MB (target < 5 MB); "
              f"score {s.quality_score:.3f} -> {'OK' if ok else 'OVER TARGET'}")


if __name__ == "__main__":
    main()
