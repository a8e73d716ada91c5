"""Pages per second with ``--device cuda`` (ONNX Runtime's CUDA provider) against the CPU, on the committed
scanned samples: the prepared check for a machine with an NVIDIA GPU and ``onnxruntime-gpu`` installed
(``pip install -e '.[gpu]'``, which replaces the CPU-only ``onnxruntime``).

    python benchmarks/gpu_throughput.py                 # cuda, then cpu, all editions
    python benchmarks/gpu_throughput.py --devices cuda --editions zh-daily-1 --batch 8,32,64 --conv-algo heuristic,exhaustive

Converts pages (``Converter.convert_page``: preprocess, OCR, layout, text; no exports) and prints one line per
device and setting: pages/s over the pages (models loaded and one page of each edition converted first, so
start-up and CUDA's first-call set-up for those shapes are not counted; the best of ``--repeat`` rounds),
detection and recognition seconds per page, body CER, and the provider the sessions really run on. The first
line names the machine: GPU, CPU count, onnxruntime. Exits 3 when CUDA is asked for and not available.
``benchmarks/throughput.py --device cuda`` gives the whole conversion, exports included, stage by stage.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SAMPLES = REPO / "samples"


def run(device: str, editions: list[str], batch: int | None, conv_algo: str | None = None, repeat: int = 1,
        more: dict[str, str] | None = None) -> str:
    from ocr_pipeline.evaluate import evaluate
    from ocr_pipeline.evaluate.core import load_ground_truth
    from ocr_pipeline.ingest import discover
    from ocr_pipeline.model import Edition
    from ocr_pipeline.pipeline import Converter, assemble_edition
    from ocr_pipeline.settings import ConvertSettings

    extra: dict[str, object] = dict(more or {})
    if batch:
        extra["rec_batch_num"] = batch
    if conv_algo:
        extra["cuda_conv_algo"] = conv_algo
    converters = []
    providers = ""
    for ed in editions:
        lang = "en" if ed.startswith("en") else "zh"
        conv = Converter(ConvertSettings(lang=lang, device=device, engine_extra=extra))
        (es,) = discover([SAMPLES / ed / "scanned"])
        conv.convert_page(es.pages[0], 1)  # models, CUDA kernels and memory pools set up
        engine: Any = conv.engine
        providers = ", ".join(engine._rec.get_providers()[:1]) if getattr(engine, "_rec", None) else "?"
        converters.append((ed, lang, conv, es))
    best: tuple[float, float, float, int, int, int] | None = None
    for rnd in range(max(1, repeat)):
        pages = chars = dist = 0
        seconds = det = rec = 0.0
        for ed, lang, conv, es in converters:
            engine = conv.engine
            for k in engine.timings:
                engine.timings[k] = 0.0
            t = time.perf_counter()
            results = [conv.convert_page(src, n) for n, src in enumerate(es.pages, 1)]
            seconds += time.perf_counter() - t
            det += engine.timings["det"]
            rec += engine.timings["rec"]
            pages += len(results)
            edition = Edition(id=ed, language=lang, pages=[r.page for r in results])
            assemble_edition(edition, results, lang)
            rep = evaluate(load_ground_truth(SAMPLES / ed / "truth.json"), edition)
            chars += rep.body_chars
            dist += rep.body_distance
        print(f"  round {rnd + 1}: {seconds / pages:.3f} s/page", file=sys.stderr, flush=True)
        if best is None or seconds < best[0]:
            best = (seconds, det, rec, pages, chars, dist)
    assert best is not None
    seconds, det, rec, pages, chars, dist = best
    what = ", ".join(f"{k} {v}" for k, v in extra.items()) or "defaults"
    return (f"{device} ({what}): {pages / seconds:.2f} pages/s ({seconds / pages:.3f} s/page; detection "
            f"{det / pages:.3f} s, recognition {rec / pages:.3f} s), body CER {100 * dist / max(1, chars):.1f}%, "
            f"provider {providers}")


def machine() -> str:
    """The GPU (nvidia-smi), the CPU count and onnxruntime's version and providers."""
    import os
    import shutil
    import subprocess

    import onnxruntime as ort

    gpu = "no nvidia-smi"
    if shutil.which("nvidia-smi"):
        q = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                           capture_output=True, text=True, check=False)
        gpu = q.stdout.strip() or q.stderr.strip()
    return (f"machine: {gpu}; {os.cpu_count()} CPUs; onnxruntime {ort.__version__} "
            f"({', '.join(ort.get_available_providers())}); python {sys.version.split()[0]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--devices", default="cuda,cpu")
    ap.add_argument("--editions", default="zh-daily-1,zh-daily-2,en-daily-1")
    ap.add_argument("--batch", default="", help="recognition batch sizes to try, comma-separated "
                    "(default: the engine's, by device)")
    ap.add_argument("--conv-algo", default="", help="cuDNN algorithm searches to try on cuda, comma-separated "
                    "(heuristic, exhaustive, default; default: the engine's)")
    ap.add_argument("--repeat", type=int, default=1, help="rounds over the pages; the fastest counts")
    ap.add_argument("--extra", action="append", default=[], metavar="KEY=VALUE",
                    help="another engine setting for every run, e.g. det_pad_step=128")
    args = ap.parse_args()
    from ocr_pipeline.errors import EngineError, MissingDependencyError

    more = dict(kv.split("=", 1) for kv in args.extra)
    print(machine(), flush=True)
    editions = args.editions.split(",")
    batches: list[int | None] = [int(b) for b in args.batch.split(",") if b] or [None]
    algos = [a for a in args.conv_algo.split(",") if a] or [None]
    for device in args.devices.split(","):
        for batch in batches:
            for algo in algos if device == "cuda" else [None]:
                try:
                    print(run(device, editions, batch, algo, args.repeat, more), flush=True)
                except (MissingDependencyError, EngineError) as exc:
                    print(f"{device}: not available: {exc}", flush=True)
                    if device == "cuda":
                        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
