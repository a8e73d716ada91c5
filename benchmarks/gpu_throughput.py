"""Pages per second with ``--device cuda`` (ONNX Runtime's CUDA provider) against the CPU, on the committed
scanned samples: the prepared check for a machine with an NVIDIA GPU and ``onnxruntime-gpu`` installed
(``pip install -e '.[gpu]'``, which replaces the CPU-only ``onnxruntime``).

    python benchmarks/gpu_throughput.py                 # cuda, then cpu, all editions
    python benchmarks/gpu_throughput.py --devices cuda --editions zh-daily-1 --batch 16

Prints one line per device: pages/s over the pages (models loaded and one page converted first, so start-up
and CUDA's first-call set-up are not counted), detection and recognition seconds per page, body CER, and
the providers the sessions really run on. Exits 3 when CUDA is asked for and not available.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SAMPLES = REPO / "samples"


def run(device: str, editions: list[str], batch: int | None) -> str:
    from ocr_pipeline.evaluate import evaluate
    from ocr_pipeline.evaluate.core import load_ground_truth
    from ocr_pipeline.ingest import discover
    from ocr_pipeline.model import Edition
    from ocr_pipeline.pipeline import Converter, assemble_edition
    from ocr_pipeline.settings import ConvertSettings

    pages = 0
    seconds = det = rec = 0.0
    chars = dist = 0
    providers = ""
    for ed in editions:
        lang = "en" if ed.startswith("en") else "zh"
        extra = {"rec_batch_num": batch} if batch else {}
        conv = Converter(ConvertSettings(lang=lang, device=device, engine_extra=extra))
        (es,) = discover([SAMPLES / ed / "scanned"])
        conv.convert_page(es.pages[0], 1)  # models, CUDA kernels and memory pools set up
        engine = conv.engine
        providers = ", ".join(engine._rec.get_providers()[:1]) if getattr(engine, "_rec", None) else "?"
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
    return (f"{device}: {pages / seconds:.2f} pages/s ({seconds / pages:.2f} s/page; detection {det / pages:.2f} s, "
            f"recognition {rec / pages:.2f} s), body CER {100 * dist / max(1, chars):.1f}%, provider {providers}")


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--devices", default="cuda,cpu")
    ap.add_argument("--editions", default="zh-daily-1,zh-daily-2,en-daily-1")
    ap.add_argument("--batch", type=int, default=None, help="recognition batch size (a GPU likes larger ones)")
    args = ap.parse_args()
    from ocr_pipeline.errors import MissingDependencyError

    for device in args.devices.split(","):
        try:
            print(run(device, args.editions.split(","), args.batch), flush=True)
        except MissingDependencyError as exc:
            print(f"{device}: not available: {exc}", flush=True)
            if device == "cuda":
                return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
