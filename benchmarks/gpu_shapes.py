"""What a new input shape costs on ONNX Runtime's CUDA provider: the first run of the detection and recognition
models on each of a few shapes against a second run on the same shape, for each cuDNN algorithm search
(``cuda_conv_algo``). Regions and line batches come in many shapes, so this decides how much padding
(``det_pad_step``, ``rec_pad_step``) pays on a GPU.

    python benchmarks/gpu_shapes.py                       # heuristic, default, exhaustive
    python benchmarks/gpu_shapes.py --algos heuristic --budget 20

One line per algorithm search, for detection and recognition: median milliseconds of a shape's first run, of
a repeated run, and of runs on shapes seen before taken in turn (so that each run's shape differs from the
session's run before it), with one session and with a session for each shape (``session_per_shape``). Each
algorithm search stops trying new shapes after ``--budget`` seconds. Exits 3 without CUDA.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Detection inputs (height, width) as regions give them, and recognition batch widths (32 lines of 48 px).
DET_SHAPES = [(640, 640), (672, 608), (704, 960), (960, 704), (1280, 992), (416, 1536), (2400, 1696), (224, 1120)]
REC_WIDTHS = [160, 192, 320, 352, 448, 640, 960, 1280]


def _median_ms(xs: list[float]) -> str:
    return f"{1000 * float(np.median(xs)):.1f}" if xs else "-"


def measure(algo: str, budget: float, rng: np.random.Generator) -> str:
    from ocr_pipeline.engines import EngineOptions
    from ocr_pipeline.engines.ppocr import PPOCREngine

    engine = PPOCREngine(EngineOptions(device="cuda", extra={"cuda_conv_algo": algo, "session_per_shape": False}))
    t = time.perf_counter()
    engine._load()
    load = time.perf_counter() - t
    det, rec = engine._det, engine._rec
    assert det is not None and rec is not None
    runs: dict[str, tuple[list[float], list[float]]] = {"det": ([], []), "rec": ([], [])}
    feeds = [("det", det, np.asarray(rng.uniform(-1, 1, (1, 3, h, w)), np.float32)) for h, w in DET_SHAPES]
    feeds += [("rec", rec, np.asarray(rng.uniform(-1, 1, (32, 3, 48, w)), np.float32)) for w in REC_WIDTHS]
    # Alternate between the two models so that each gets shapes until the budget is spent.
    order = [f for pair in zip(feeds[: len(DET_SHAPES)], feeds[len(DET_SHAPES):], strict=True) for f in pair]
    start = time.perf_counter()
    seen = []
    for kind, sess, x in order:
        if time.perf_counter() - start > budget:
            break
        seen.append((kind, sess, x))
        for first in (True, False):
            runs[kind][0 if first else 1].append(_run(sess, x))
    # Shapes run before, taken in turn: each run's shape differs from the run before it on that session.
    turns: dict[str, list[float]] = {"det": [], "rec": []}
    for kind in turns:
        mine = [(sess, x) for k, sess, x in seen if k == kind][:3]
        for _ in range(3 if len(mine) > 1 else 0):
            turns[kind] += [_run(sess, x) for sess, x in mine]
    # The same shapes in turn with a session for each shape (session_per_shape, the default with cuda).
    pooled = PPOCREngine(EngineOptions(device="cuda", extra={"cuda_conv_algo": algo}))
    pooled._load()
    each: dict[str, list[float]] = {"det": [], "rec": []}
    for kind in each:
        mine = [x for k, _, x in seen if k == kind][:3]
        sess = pooled._det if kind == "det" else pooled._rec
        for x in mine:  # each shape's first run
            _run(sess, x)
        for _ in range(3 if len(mine) > 1 else 0):
            each[kind] += [_run(sess, x) for x in mine]
    return (f"{algo}: load {load:.1f} s; detection first run {_median_ms(runs['det'][0])} ms, again "
            f"{_median_ms(runs['det'][1])} ms, in turn with other seen shapes {_median_ms(turns['det'])} ms "
            f"(a session per shape: {_median_ms(each['det'])} ms) ({len(runs['det'][0])} shapes); recognition "
            f"first run {_median_ms(runs['rec'][0])} ms, again {_median_ms(runs['rec'][1])} ms, in turn "
            f"{_median_ms(turns['rec'])} ms (a session per shape: {_median_ms(each['rec'])} ms) "
            f"({len(runs['rec'][0])} shapes)")


def _run(sess: object, x: np.ndarray) -> float:
    """Seconds of one run of a session on x."""
    t = time.perf_counter()
    sess.run(None, {sess.get_inputs()[0].name: x})  # type: ignore[attr-defined]
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--algos", default="heuristic,default,exhaustive")
    ap.add_argument("--budget", type=float, default=30.0, help="seconds of new shapes per algorithm search")
    args = ap.parse_args()
    from ocr_pipeline.errors import EngineError, MissingDependencyError

    rng = np.random.default_rng(0)
    for algo in args.algos.split(","):
        try:
            print(measure(algo, args.budget, rng), flush=True)
        except (MissingDependencyError, EngineError) as exc:
            print(f"cuda: not available: {exc}", flush=True)
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
