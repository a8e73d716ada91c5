"""Compare the OCR engines on one rendered newspaper-like page: time and character error rate.

    python benchmarks/engines_compare.py                      # 2,400 x 3,400 px, 5 columns, zh
    python benchmarks/engines_compare.py --small              # 1,200 x 900 px, quick
    python benchmarks/engines_compare.py --engines ppocr --det-sweep   # detection resolution sweep
    python benchmarks/engines_compare.py --lang en --small

One line per engine run: engine, mode (whole page or regions = the known columns), seconds, lines, CER.
CER is order-sensitive within each column: every recognised line is put in the column holding its
centre, then sorted top to bottom, and compared with that column's text (Levenshtein / length). A line
that merged two columns therefore costs the text it brought from the neighbour.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_pipeline.engines import EngineOptions, create_engine  # noqa: E402
from ocr_pipeline.errors import OcrPipelineError  # noqa: E402

CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
LATIN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"

# Text written for this benchmark.
ZH_SENTENCES = [
    "城市公共交通系统在今年春季完成了升级改造",
    "新的线路将覆盖东部和北部的十二个居民区",
    "市民可以通过手机查询每一班车的到站时间",
    "沿江绿道全长二十八公里，周末游客明显增多",
    "区里计划在明年夏天之前再建三座口袋公园",
    "老旧小区加装电梯的工作已经进入第二阶段",
    "图书馆延长了晚间开放时间，读者好评不断",
    "农贸市场的蔬菜价格本月总体保持平稳",
    "学校新开设的科学实验课很受学生欢迎",
    "医院推出预约挂号服务，排队时间缩短一半",
]
EN_WORDS = (
    "farmers in the northern valley reported a fine harvest this autumn with wheat prices holding steady "
    "despite heavy rain in september the railway company has promised two extra goods trains each week "
    "and the cooperative store will open a second branch near the station officials expect exports to "
    "grow by nearly a fifth next year provided the new bridge over the river is finished on time"
).split()


def render_page(
    lang: str, width: int, height: int, ncols: int, size: int, gutter: int, seed: int = 7
) -> tuple[np.ndarray, list[tuple[int, int, int, int]], list[list[str]]]:
    """A page of ``ncols`` text columns; returns the image, the column boxes and each column's lines."""
    rng = random.Random(seed)
    font = ImageFont.truetype(CJK_FONT if lang == "zh" else LATIN_FONT, size)
    margin = 60
    col_w = (width - 2 * margin - (ncols - 1) * gutter) // ncols
    img = Image.new("L", (width, height), 255)
    d = ImageDraw.Draw(img)
    boxes, texts = [], []
    pitch = int(size * 1.5)
    for c in range(ncols):
        x0 = margin + c * (col_w + gutter)
        lines: list[str] = []
        y = margin
        while y + pitch <= height - margin:
            if lang == "zh":
                s = ""
                while True:
                    nxt = s + rng.choice(ZH_SENTENCES)[rng.randrange(3) :]
                    cut = len(nxt)
                    while font.getlength(nxt[:cut]) > col_w:
                        cut -= 1
                    s = nxt[:cut]
                    if cut < len(nxt):
                        break
            else:
                s = ""
                while True:
                    w = rng.choice(EN_WORDS)
                    t = f"{s} {w}".strip()
                    if font.getlength(t) > col_w:
                        break
                    s = t
            d.text((x0, y), s, font=font, fill=0)
            lines.append(s)
            y += pitch
        boxes.append((x0 - gutter // 3, margin - size // 2, x0 + col_w + gutter // 3, y + size // 2))
        texts.append(lines)
    return np.array(img), boxes, texts


def column_cer(lines: list, boxes: list[tuple[int, int, int, int]], truth: list[list[str]], lang: str) -> float:
    per_col: list[list] = [[] for _ in boxes]
    for ln in lines:
        cx = (ln.bbox[0] + ln.bbox[2]) / 2
        best = min(range(len(boxes)), key=lambda i: abs(cx - (boxes[i][0] + boxes[i][2]) / 2))
        per_col[best].append(ln)
    dist = total = 0
    sep = "" if lang == "zh" else " "
    for col, gt in zip(per_col, truth, strict=True):
        col.sort(key=lambda ln: ((ln.bbox[1] + ln.bbox[3]) / 2, ln.bbox[0]))
        got = sep.join(ln.text for ln in col)
        ref = sep.join(gt)
        dist += Levenshtein.distance(got, ref)
        total += len(ref)
    return dist / max(1, total)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", default="ppocr,tesseract,paddleocr")
    ap.add_argument("--lang", default="zh", choices=["zh", "en"])
    ap.add_argument("--small", action="store_true", help="1,200 x 900 px page, 3 columns")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--det-sweep", action="store_true", help="ppocr: several detection resolutions")
    ap.add_argument("--modes", default="page,regions")
    args = ap.parse_args()

    if args.small:
        img, boxes, truth = render_page(args.lang, 1200, 900, 3, 28, 30)
    else:
        img, boxes, truth = render_page(args.lang, 2400, 3400, 5, 30, 36)
    regions = [(float(a), float(b), float(c), float(d)) for a, b, c, d in boxes]
    nchars = sum(len("".join(t)) for t in truth)
    print(f"page {img.shape[1]}x{img.shape[0]}, {len(boxes)} columns, {nchars} characters, lang {args.lang}")

    runs: list[tuple[str, dict]] = []
    for name in args.engines.split(","):
        if name == "ppocr" and args.det_sweep:
            for limit in (960, 1600, 2400, 3400):
                runs.append((name, {"det_limit_side_len": limit, "det_limit_type": "max"}))
        else:
            runs.append((name, {}))
    for name, extra in runs:
        try:
            engine = create_engine(name, EngineOptions(lang=args.lang, threads=args.threads, extra=extra))
            engine.recognize(img[:64, :64])  # load models outside the timing
        except OcrPipelineError as exc:
            print(f"{name:10s} unavailable: {exc}")
            continue
        for mode in args.modes.split(","):
            t0 = time.perf_counter()
            lines = engine.recognize(img, regions=regions if mode == "regions" else None)
            dt = time.perf_counter() - t0
            cer = column_cer(lines, boxes, truth, args.lang)
            label = name + (f"[det {extra['det_limit_side_len']}]" if extra else "")
            print(f"{label:22s} {mode:8s} {dt:7.1f} s  {len(lines):4d} lines  CER {cer:.2%}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
