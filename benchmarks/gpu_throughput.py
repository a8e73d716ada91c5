"""Pages per second with ``--device cuda`` (ONNX Runtime's CUDA provider) against the CPU, on the committed
scanned samples: the prepared check for a machine with an NVIDIA GPU and ``onnxruntime-gpu`` installed
(``pip install -e '.[gpu]'``, which replaces the CPU-only ``onnxruntime``).

    python benchmarks/gpu_throughput.py                 # cuda, then cpu, all editions
    python benchmarks/gpu_throughput.py --devices cuda --repeat 3 --trace --budget 150
    python benchmarks/gpu_throughput.py --devices cuda --editions zh-daily-1 --batch 8,32,64 --conv-algo heuristic,exhaustive

Converts pages (``Converter.convert_page``: preprocess, OCR, layout, text; no exports) and prints one line per
device and setting: pages/s in the first round over the pages and in the best later round (``--repeat``), with
detection and recognition seconds per page, body CER, and the provider the sessions really run on. Models are
loaded and one page of each edition converted before the first round, so start-up is not counted; the first
round still meets most input shapes for the first time, a later round meets none. ``--trace`` prints a line per
page on stderr with each model's runs, the new input shapes among them, and the seconds of each kind;
``--budget`` stops a setting after so many seconds and reports the pages done. The first line names the
machine: GPU, CPU count, onnxruntime. Exits 3 when CUDA is asked for and not available.
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


class Traced:
    """An ONNX Runtime session that notes each run's input shape and seconds, to tell a GPU's set-up for a shape
    it has not seen from the work itself."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.seen: set[tuple[int, ...]] = set()
        self.calls = self.new = 0
        self.seconds = self.new_seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)

    def run(self, outputs: Any, feeds: dict[str, Any]) -> Any:
        shape = tuple(next(iter(feeds.values())).shape)
        t = time.perf_counter()
        out = self.session.run(outputs, feeds)
        dt = time.perf_counter() - t
        self.calls += 1
        self.seconds += dt
        if shape not in self.seen:
            self.seen.add(shape)
            self.new += 1
            self.new_seconds += dt
        return out

    def take(self) -> str:
        """Runs since the last take: how many, the new input shapes among them, and the seconds of each kind."""
        text = (f"{self.calls} runs, {self.new} new shapes {self.new_seconds:.2f} s + "
                f"{self.seconds - self.new_seconds:.2f} s")
        self.calls = self.new = 0
        self.seconds = self.new_seconds = 0.0
        return text


def run(device: str, editions: list[str], batch: int | None, conv_algo: str | None = None, repeat: int = 1,
        more: dict[str, str] | None = None, budget: float = 0.0, trace: bool = False) -> str:
    from ocr_pipeline.evaluate import evaluate
    from ocr_pipeline.evaluate.core import load_ground_truth
    from ocr_pipeline.ingest import discover
    from ocr_pipeline.model import Edition
    from ocr_pipeline.pipeline import Converter, assemble_edition
    from ocr_pipeline.settings import ConvertSettings

    start = time.perf_counter()
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
        engine: Any = conv.engine
        t = time.perf_counter()
        engine._load()
        loaded = time.perf_counter() - t
        traced = [(kind, Traced(getattr(engine, "_" + kind))) for kind in ("det", "rec", "cls")
                  if trace and getattr(engine, "_" + kind, None) is not None]
        for kind, sess in traced:
            setattr(engine, "_" + kind, sess)
        (es,) = discover([SAMPLES / ed / "scanned"])
        t = time.perf_counter()
        conv.convert_page(es.pages[0], 1)  # models, CUDA kernels and memory pools set up
        if trace:
            print(f"  {ed}: models loaded in {loaded:.2f} s, first page {time.perf_counter() - t:.2f} s; "
                  + "; ".join(f"{k} {s.take()}" for k, s in traced), file=sys.stderr, flush=True)
        providers = ", ".join(engine._rec.get_providers()[:1]) if getattr(engine, "_rec", None) else "?"
        converters.append((ed, lang, conv, es, traced))
    rounds: list[tuple[float, float, float, int, int, int]] = []
    cut = False
    for rnd in range(max(1, repeat)):
        pages = chars = dist = 0
        seconds = det = rec = 0.0
        for ed, lang, conv, es, traced in converters:
            engine = conv.engine
            for k in engine.timings:
                engine.timings[k] = 0.0
            results = []
            for n, src in enumerate(es.pages, 1):
                t = time.perf_counter()
                results.append(conv.convert_page(src, n))
                seconds += time.perf_counter() - t
                if trace:
                    print(f"  round {rnd + 1} {ed} page {n}: {time.perf_counter() - t:.2f} s; "
                          + "; ".join(f"{k} {s.take()}" for k, s in traced), file=sys.stderr, flush=True)
                if budget and time.perf_counter() - start > budget:
                    cut = True
                    break
            det += engine.timings["det"]
            rec += engine.timings["rec"]
            pages += len(results)
            if len(results) == len(es.pages):  # body CER over whole editions only: the truth is per edition
                edition = Edition(id=ed, language=lang, pages=[r.page for r in results])
                assemble_edition(edition, results, lang)
                rep = evaluate(load_ground_truth(SAMPLES / ed / "truth.json"), edition)
                chars += rep.body_chars
                dist += rep.body_distance
            if cut:
                break
        print(f"  round {rnd + 1}: {pages} pages, {seconds / max(1, pages):.3f} s/page", file=sys.stderr, flush=True)
        rounds.append((seconds, det, rec, pages, chars, dist))
        if cut:
            break

    def figures(r: tuple[float, float, float, int, int, int]) -> str:
        seconds, det, rec, pages, chars, dist = r
        cer = f"{100 * dist / chars:.1f}%" if chars else "-"
        return (f"{pages / seconds:.2f} pages/s ({pages} pages, {seconds / pages:.3f} s/page; detection "
                f"{det / pages:.3f} s, recognition {rec / pages:.3f} s; body CER {cer})")

    what = ", ".join(f"{k} {v}" for k, v in extra.items()) or "defaults"
    done = [r for r in rounds if r[3]]
    if not done:
        return f"{device} ({what}): no page converted within {budget:.0f} s (--budget)"
    text = f"{device} ({what}), provider {providers}: first round {figures(done[0])}"
    if len(done) > 1:
        text += f"; best later round {figures(min(done[1:], key=lambda r: r[0] / r[3]))}"
    if cut:
        text += f"; stopped by --budget {budget:.0f} s in round {len(rounds)}"
    return text


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
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds over the pages: the first is reported, and the fastest of the others")
    ap.add_argument("--budget", type=float, default=0.0,
                    help="seconds for each setting, load included; stop after the page that passes it (0: no limit)")
    ap.add_argument("--trace", action="store_true",
                    help="a line per page on stderr: its seconds and each model's runs, new input shapes among "
                    "them, and the seconds of the runs on new and on seen shapes")
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
                    print(run(device, editions, batch, algo, args.repeat, more, args.budget, args.trace), flush=True)
                except (MissingDependencyError, EngineError) as exc:
                    print(f"{device}: not available: {exc}", flush=True)
                    if device == "cuda":
                        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
