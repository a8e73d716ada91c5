"""Preprocessing speed and accuracy on a full-size newspaper page (target: deskew < 0.5 s on 2 cores).

Renders a 2,400 x 3,400 px five-column Chinese page and a three-column English page with the test
renderer (``tests/test_preprocess.py``), skews them, adds a yellow tint and uneven light, and times each
stage (median of ``--repeat`` runs): normalisation, skew estimate, the whole ``preprocess`` without and
with orientation. With ``--real`` it also runs on the scans in ``../shared/real`` (if present).

    python benchmarks/preprocess_bench.py [--repeat 5] [--threads 2] [--real]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_preprocess import degrade, render_page, rotate_page  # noqa: E402

from ocr_pipeline.preprocess import estimate_skew, normalize_contrast, preprocess  # noqa: E402
from ocr_pipeline.preprocess.orientation import cls_session  # noqa: E402


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def bench(name: str, img: np.ndarray, angle: float | None, repeat: int, threads: int) -> None:
    t_norm, norm = timed(lambda: normalize_contrast(img), repeat)
    t_skew, est = timed(lambda: estimate_skew(norm), repeat)  # type: ignore[arg-type]
    t_geo, res0 = timed(lambda: preprocess(img, orientation=False, threads=threads), repeat)
    t_all, res = timed(lambda: preprocess(img, threads=threads), repeat)
    h, w = img.shape[:2]
    err = f"{abs(res.skew - angle):.3f}" if angle is not None else "n/a"  # type: ignore[attr-defined]
    print(
        f"{name:<34} {w}x{h}  normalize {t_norm:.3f}s  skew-estimate {t_skew:.3f}s  "
        f"preprocess(no orientation) {t_geo:.3f}s  preprocess {t_all:.3f}s  "
        f"rotation {res.rotation}  skew {res.skew:+.2f} (error {err})"  # type: ignore[attr-defined]
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--real", action="store_true", help="also run on ../shared/real scans")
    args = ap.parse_args()

    cls_session(args.threads)  # model load is a one-off, not part of the per-page figure
    zh = render_page("zh", width=2400, height=3400, columns=5).image
    en = render_page("en", width=2400, height=3400, columns=5).image
    bench("zh 5 columns, +2.0 deg", rotate_page(zh, 2.0), 2.0, args.repeat, args.threads)
    bench(
        "zh 5 columns, -2.7 deg, tint+light", degrade(rotate_page(zh, -2.7)), -2.7, args.repeat, args.threads
    )
    bench(
        "en 5 columns, +1.3 deg, 180 turned",
        np.ascontiguousarray(rotate_page(en, 1.3)[::-1, ::-1]),
        1.3,
        args.repeat,
        args.threads,
    )
    if args.real:
        from PIL import Image

        real = ROOT.parent / "shared" / "real"
        for path in sorted(real.glob("*/*.jpg")) + sorted(real.glob("*/*.tif")):
            with Image.open(path) as im:
                gray = np.asarray(im.convert("L")).copy()
            bench(path.name[:34], gray, None, max(1, args.repeat // 2), args.threads)


if __name__ == "__main__":
    main()
