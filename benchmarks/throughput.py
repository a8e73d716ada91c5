"""Throughput (issue 10): this toolkit against whole-page PP-OCR and Tesseract on the committed scanned samples.

    python benchmarks/throughput.py                                   # all three systems, all editions
    python benchmarks/throughput.py --systems toolkit,ppocr --editions zh-daily-1
    python benchmarks/throughput.py --json throughput.json
    python benchmarks/throughput.py --repeat 3                        # best of three rounds each
    python benchmarks/throughput.py --systems toolkit,ppocr --device cuda   # both on ONNX Runtime's CUDA provider
    python benchmarks/throughput.py --systems toolkit --jobs 2 --copies 2  # two worker processes, as --jobs 2

Each system runs in a child process of its own, one after the other (one process tree, one run, the same
machine), over every page of the chosen editions; a child reports its peak resident memory (VmHWM) at the end.

- ``toolkit``: ``ocr_pipeline.api.convert`` with default settings (only ``lang`` from the edition's truth), one
  call per edition, into a fresh folder; every stage as a user runs it: load, preprocess, detection,
  recognition, layout, text, edition (continuations, metadata), export (JSON, text, NewsML-G2, ALTO, report,
  page images). The stages are timed by wrapping the functions ``convert`` calls, each stage's own time
  (a stage called inside another is counted once, in the inner one).
- ``ppocr``: whole-page PP-OCR as in ``baselines.py``: the same ONNX models, the page loaded and turned to
  grayscale, detection on the whole page, recognition as PaddleOCR does it (``PPOCR_REFERENCE``), no layout.
- ``tesseract``: Tesseract ``--psm 3`` on the whole page, as in ``baselines.py``.
- ``rapidocr``: PP-OCR exactly as the ``rapidocr-onnxruntime`` package ships it (``RapidOCR()`` with its
  defaults: the same three ONNX models, angle classifier on, detection at its own resolution) on the whole
  page; a second view of "whole-page PP-OCR", for reference.

Start-up (imports, loading models and dictionaries) is paid once per process and is shown on its own; pages
per minute and the stage shares are per page, start-up excluded (an archive run pays it once for thousands of
pages). For the toolkit it is the imports plus one page of each language converted before the timed run (what
is loaded on first use: models, dictionaries, solver, templates). ``wall`` includes it. Body CER is ``evaluate``'s, for the baselines on their one-article-per-page
editions (see ``baselines.py``). The last line gives the toolkit's ratios to each baseline.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SAMPLES = REPO / "samples"
EDITIONS = ("zh-daily-1", "zh-daily-2", "en-daily-1")
SYSTEMS = ("toolkit", "ppocr", "tesseract", "rapidocr")
sys.path.insert(0, str(REPO))

STAGES = ("load", "preprocess", "detection", "recognition", "layout", "text", "edition", "export")


def _lang(edition: str) -> str:
    data = json.loads((SAMPLES / edition / "truth.json").read_text(encoding="utf-8"))
    return str(data.get("language") or ("en" if edition.startswith("en") else "zh"))


def peak_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Timers:
    """Exclusive seconds per stage: time spent in a wrapped function, less the time of wrapped calls inside it.

    Each thread keeps its own nesting. A stage run in another thread than the main one (the pipeline's helper
    thread decodes the next page beside the current one) is counted as "NAME (background)": it overlaps the
    main thread's time, so it is not part of a page's stages."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._local = threading.local()

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        stack: list[float] | None = getattr(self._local, "stack", None)  # time of wrapped children, per open call
        if stack is None:
            stack = self._local.stack = []
        if threading.current_thread() is not threading.main_thread():
            name = f"{name} (background)"
        stack.append(0.0)
        t = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - t
            children = stack.pop()
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed - children
            if stack:
                stack[-1] += elapsed

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        original = getattr(owner, attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.stage(name):
                return original(*args, **kwargs)

        timed.__wrapped__ = original  # type: ignore[attr-defined]
        setattr(owner, attr, timed)


# --- children -------------------------------------------------------------------------------------------

def child_toolkit(editions: Sequence[str], threads: int | None, device: str = "cpu") -> dict[str, Any]:
    timers = Timers()
    with timers.stage("startup"):
        import jieba  # noqa: F401  (the imports a conversion makes, timed as start-up)
        import scipy.optimize  # noqa: F401  (the assignment solver: evaluate's, and continuations' where links compete)
        import wordfreq

        import ocr_pipeline.api as api
        import ocr_pipeline.edition as edition_mod
        import ocr_pipeline.ingest as ingest
        import ocr_pipeline.layout as layout
        import ocr_pipeline.layout.compose as compose
        import ocr_pipeline.layout.regions as regions
        import ocr_pipeline.pipeline as pipeline
        import ocr_pipeline.preprocess as preprocess
        import ocr_pipeline.preprocess.orientation as orientation
        import ocr_pipeline.text.join as join
        from ocr_pipeline.batch import BatchOptions
        from ocr_pipeline.engines.ppocr import PPOCREngine
        from ocr_pipeline.evaluate import evaluate
        from ocr_pipeline.evaluate.core import load_ground_truth
        from ocr_pipeline.model import load as load_edition
        from ocr_pipeline.settings import ConvertSettings

    # One page of each language converted first, untimed per page: what a conversion loads once per process
    # on first use (models, word dictionaries, scipy's assignment solver, the report's templates) is start-up,
    # not the first edition's pages.
    with timers.stage("startup"), tempfile.TemporaryDirectory(prefix="ocr-throughput-warm-") as warm:
        for lang, ed in {_lang(ed): ed for ed in editions}.items():
            first = sorted((SAMPLES / ed / "scanned").glob("page-*"))[:1]
            api.convert(first, Path(warm) / ed, ConvertSettings(lang=lang, threads=threads, device=device),
                        batch=BatchOptions(force=True))

    for owner, attr, name in (
        (ingest, "load_image", "load"),
        (preprocess, "preprocess", "preprocess"),
        (preprocess.Preprocessed, "settle_flip", "preprocess"),  # the upside-down test, after the page is read
        (PPOCREngine, "detect", "detection"),
        (PPOCREngine, "recognize", "recognition"),
        (regions, "find_regions", "layout"),
        (layout, "analyze_page", "layout"),
        (compose, "compose_article", "text"),
        (edition_mod, "link_continuations", "edition"),
        (pipeline, "_edition_metadata", "edition"),
        (api, "write_edition", "export"),
        (api, "save_page_image", "export"),
        # Loaded once per process, on first use: start-up, not the page's.
        (PPOCREngine, "_load", "startup"),
        (orientation, "cls_session", "startup"),
        (join, "_jieba", "startup"),
        (join, "_word_tags", "startup"),
        (wordfreq, "get_frequency_dict", "startup"),
    ):
        if hasattr(owner, attr):
            timers.wrap(owner, attr, name)

    pages = chars = dist = 0
    convert_seconds = 0.0
    startup_before = timers.seconds.get("startup", 0.0)
    with tempfile.TemporaryDirectory(prefix="ocr-throughput-") as tmp:
        for ed in editions:
            lang = _lang(ed)
            t = time.perf_counter()
            result = api.convert([SAMPLES / ed / "scanned"], Path(tmp) / ed,
                                 ConvertSettings(lang=lang, threads=threads, device=device), batch=BatchOptions(force=True))
            convert_seconds += time.perf_counter() - t
            oc = result.editions[0]
            if oc.outdir is None or oc.pages_failed:
                # A failed page is kept as an empty page: timing it would measure the failure.
                raise SystemExit(f"toolkit: {ed}: {oc.pages_failed} page(s) failed: {'; '.join(oc.errors)[:2000]}")
            pred = load_edition(oc.outdir / "edition.json")
            rep = evaluate(load_ground_truth(SAMPLES / ed / "truth.json"), pred)
            pages += len(pred.pages)
            chars += rep.body_chars
            dist += rep.body_distance
    # Per-page time: what the convert calls took, less the start-up paid inside them (models, dictionaries).
    inside = timers.seconds.get("startup", 0.0) - startup_before
    return {"pages": pages, "seconds": timers.seconds, "page_seconds": convert_seconds - inside,
            "body_chars": chars, "body_distance": dist, "rss_mb": peak_rss_mb()}


def child_toolkit_pool(editions: Sequence[str], threads: int | None, device: str, jobs: int, copies: int) -> dict[str, Any]:
    """The toolkit with ``jobs`` worker processes (``BatchOptions(jobs=...)``, as ``--jobs`` runs it), over
    ``copies`` copies of each edition (one run per language, so the workers start once per language).

    Stage seconds come from the workers (each page's ``stages``, see ``batch.worker``) and, for edition
    assembly and exports, from this process; they add up to the work done, which is more than the wall time
    when the workers run side by side. Start-up per run (spawning the workers, loading their models) is the
    time to the first page less that page's own seconds."""
    timers = Timers()
    with timers.stage("startup"):
        import ocr_pipeline.api as api
        import ocr_pipeline.edition as edition_mod
        import ocr_pipeline.pipeline as pipeline
        from ocr_pipeline.batch import BatchOptions, PageEvent, run_batch
        from ocr_pipeline.evaluate import evaluate
        from ocr_pipeline.evaluate.core import load_ground_truth
        from ocr_pipeline.model import load as load_edition
        from ocr_pipeline.settings import ConvertSettings

    for owner, attr, name in ((edition_mod, "link_continuations", "edition"), (pipeline, "_edition_metadata", "edition"),
                              (api, "write_edition", "export")):
        timers.wrap(owner, attr, name)
    pages = chars = dist = 0
    wall = startup = 0.0
    events: list[PageEvent] = []
    with tempfile.TemporaryDirectory(prefix="ocr-throughput-pool-") as tmp:
        by_lang: dict[str, list[Path]] = {}
        for ed in editions:
            for k in range(copies):
                folder = Path(tmp) / "in" / f"{ed}-{k + 1}"
                folder.mkdir(parents=True)
                for f in sorted((SAMPLES / ed / "scanned").iterdir()):
                    (folder / f.name).symlink_to(f)
                by_lang.setdefault(_lang(ed), []).append(folder)
        for lang, folders in by_lang.items():
            arrived: list[tuple[float, PageEvent]] = []

            def record(ev: PageEvent, into: list[tuple[float, PageEvent]] = arrived) -> None:
                into.append((time.perf_counter(), ev))

            t = time.perf_counter()
            run_batch(folders, Path(tmp) / f"out-{lang}", ConvertSettings(lang=lang, threads=threads, device=device),
                      BatchOptions(jobs=jobs, force=True), on_page=record)
            wall += time.perf_counter() - t
            if any(ev.status != "ok" for _, ev in arrived):
                raise SystemExit(f"toolkit: pages failed: {[ev.error for _, ev in arrived if ev.status != 'ok'][:3]}")
            first_at, first = min(arrived, key=lambda a: a[0])
            startup += first_at - t - first.seconds
            events += [ev for _, ev in arrived]
            for folder in folders:
                ed = folder.name.rsplit("-", 1)[0]
                pred = load_edition(Path(tmp) / f"out-{lang}" / folder.name / "edition.json")
                rep = evaluate(load_ground_truth(SAMPLES / ed / "truth.json"), pred)
                pages += len(pred.pages)
                chars += rep.body_chars
                dist += rep.body_distance
    # The work: each page's seconds in its worker, and the editions assembled and written in this process.
    work = sum(ev.seconds for ev in events) + timers.seconds.get("edition", 0.0) + timers.seconds.get("export", 0.0)
    seconds = dict(timers.seconds)
    for ev in events:
        for name, v in ev.stages.items():
            stage = "export" if name == "page_image" else name
            seconds[stage] = seconds.get(stage, 0.0) + v
    seconds["startup"] = seconds.get("startup", 0.0) + startup
    return {"pages": pages, "seconds": seconds, "page_seconds": wall - startup, "work_seconds": work,
            "body_chars": chars, "body_distance": dist, "rss_mb": peak_rss_mb(), "jobs": jobs}


def child_baseline(system: str, editions: Sequence[str], threads: int | None, device: str = "cpu") -> dict[str, Any]:
    timers = Timers()
    with timers.stage("startup"):
        import numpy as np

        sys.path.insert(0, str(HERE))
        import baselines

        from ocr_pipeline.engines import EngineOptions, create_engine
        from ocr_pipeline.evaluate import evaluate
        from ocr_pipeline.evaluate.core import load_ground_truth
        from ocr_pipeline.ingest import load_image
        from ocr_pipeline.ingest.types import PageSource

    if system == "rapidocr":
        return _child_rapidocr(editions, timers)
    pages = chars = dist = 0
    for ed in editions:
        lang = _lang(ed)
        extra: dict[str, Any] = {"psm": 3} if system == "tesseract" else dict(baselines.PPOCR_REFERENCE)
        with timers.stage("startup"):
            engine = create_engine(system, EngineOptions(lang=lang, threads=threads, device=device, extra=extra))
            engine.recognize(np.full((64, 64), 255, dtype=np.uint8))  # loads the models
        det0 = getattr(engine, "timings", {}).get("det", 0.0)
        ocr_pages = []
        for number, path in enumerate(baselines._pages_of(SAMPLES / ed / "scanned"), 1):
            with timers.stage("load"):
                image = baselines._gray(load_image(PageSource(path)).image)
            with timers.stage("recognition"):
                lines = engine.recognize(image, regions=None)
                if system == "ppocr":
                    lines = [lines[i] for i in baselines.reading_order([ln.bbox for ln in lines])]
            h, w = image.shape[:2]
            ocr_pages.append(baselines.OcrPage(number, path.name, int(w), int(h), lines))
        det = getattr(engine, "timings", {}).get("det", 0.0) - det0
        if det:  # PP-OCR's detection, timed inside recognize
            timers.seconds["detection"] = timers.seconds.get("detection", 0.0) + det
            timers.seconds["recognition"] -= det
        pred = baselines.naive_edition(ed, lang, ocr_pages, system)
        rep = evaluate(load_ground_truth(SAMPLES / ed / "truth.json"), pred)
        pages += len(ocr_pages)
        chars += rep.body_chars
        dist += rep.body_distance
    page_seconds = sum(v for k, v in timers.seconds.items() if k != "startup")
    return {"pages": pages, "seconds": timers.seconds, "page_seconds": page_seconds,
            "body_chars": chars, "body_distance": dist,
            "rss_mb": peak_rss_mb()}


def _child_rapidocr(editions: Sequence[str], timers: Timers) -> dict[str, Any]:
    import baselines  # benchmarks/ is on the path (child_baseline put it there)
    import numpy as np

    from ocr_pipeline.evaluate import evaluate
    from ocr_pipeline.evaluate.core import load_ground_truth
    from ocr_pipeline.ingest import load_image
    from ocr_pipeline.ingest.types import PageSource
    from ocr_pipeline.model import Line

    with timers.stage("startup"):
        from rapidocr_onnxruntime import RapidOCR

        engine = RapidOCR()
        engine(np.full((64, 64, 3), 255, dtype=np.uint8))
    pages = chars = dist = 0
    for ed in editions:
        lang = _lang(ed)
        ocr_pages = []
        for number, path in enumerate(baselines._pages_of(SAMPLES / ed / "scanned"), 1):
            with timers.stage("load"):
                image = load_image(PageSource(path)).image
            t = time.perf_counter()
            result, elapse = engine(image)
            wall = time.perf_counter() - t
            det = float(elapse[0]) if elapse else 0.0  # RapidOCR reports [detection, classifier, recognition]
            timers.seconds["detection"] = timers.seconds.get("detection", 0.0) + det
            # The angle classifier and the glue between the steps count as recognition.
            timers.seconds["recognition"] = timers.seconds.get("recognition", 0.0) + wall - det
            lines = []
            for box, text, score in result or []:
                pts = np.asarray(box, dtype=np.float64)
                bbox = (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))
                lines.append(Line(id="", bbox=bbox, text=str(text), confidence=float(score)))
            lines = [lines[i] for i in baselines.reading_order([ln.bbox for ln in lines])]
            h, w = image.shape[:2]
            ocr_pages.append(baselines.OcrPage(number, path.name, int(w), int(h), lines))
        rep = evaluate(load_ground_truth(SAMPLES / ed / "truth.json"), baselines.naive_edition(ed, lang, ocr_pages, "rapidocr"))
        pages += len(ocr_pages)
        chars += rep.body_chars
        dist += rep.body_distance
    page_seconds = sum(v for k, v in timers.seconds.items() if k != "startup")
    return {"pages": pages, "seconds": timers.seconds, "page_seconds": page_seconds,
            "body_chars": chars, "body_distance": dist, "rss_mb": peak_rss_mb()}


# --- parent ---------------------------------------------------------------------------------------------

def run_child(system: str, editions: Sequence[str], threads: int | None, device: str = "cpu", jobs: int = 1,
              copies: int = 1) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", system, "--editions", ",".join(editions),
           "--device", device]
    if system == "toolkit" and jobs > 1:
        cmd += ["--jobs", str(jobs), "--copies", str(copies)]
    if threads:
        cmd += ["--threads", str(threads)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{system} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    data["process_seconds"] = time.perf_counter() - t
    return data


def summarise(system: str, d: dict[str, Any]) -> dict[str, Any]:
    secs = dict(d["seconds"])
    startup = secs.pop("startup", 0.0)
    per_page_total = d["page_seconds"] / d["pages"]
    stages = {s: secs.get(s, 0.0) / d["pages"] for s in STAGES}
    other = per_page_total - sum(stages.values())
    ocr = stages["detection"] + stages["recognition"]
    # Worker processes side by side: the stages add up to the work done, not to the wall time.
    share = 1 - ocr / (d["work_seconds"] / d["pages"]) if "work_seconds" in d else (per_page_total - ocr) / per_page_total
    if "jobs" in d:
        system = f"{system}/{d['jobs']}"
    return {
        "system": system,
        "pages": d["pages"],
        "pages_per_min": 60.0 / per_page_total,
        "seconds_per_page": per_page_total,
        "stage_seconds_per_page": stages,
        # Beside the main thread (overlapping its time): the next page decoded in the helper thread.
        "background_seconds_per_page": {k: v / d["pages"] for k, v in secs.items() if k.endswith("(background)")},
        "other_seconds_per_page": other,
        "non_ocr_share": share,
        "startup_seconds": startup,
        "wall_seconds": d["process_seconds"],
        "peak_rss_mb": d["rss_mb"],
        "body_cer": d["body_distance"] / d["body_chars"] if d["body_chars"] else None,
    }


def line(s: dict[str, Any]) -> str:
    st = s["stage_seconds_per_page"]
    parts = " ".join(f"{k[:5]} {v:.2f}" for k, v in st.items() if v or k in ("detection", "recognition"))
    if s.get("background_seconds_per_page"):
        parts += " | beside: " + " ".join(f"{k.split()[0][:5]} {v:.2f}" for k, v in s["background_seconds_per_page"].items())
    return (f"{s['system']:9s} {s['pages_per_min']:5.1f} pages/min  {s['seconds_per_page']:.2f} s/page [{parts}]"
            f"  non-OCR {100 * s['non_ocr_share']:.1f}%  start-up {s['startup_seconds']:.1f} s"
            f"  wall {s['wall_seconds']:.0f} s  peak RSS {s['peak_rss_mb']:.0f} MB  body CER {100 * s['body_cer']:.1f}%")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--editions", default=",".join(EDITIONS))
    ap.add_argument("--threads", type=int, default=None, help="engine threads (default: each engine's own)")
    ap.add_argument("--json", type=Path, help="write the figures to this file")
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                    help="where toolkit and ppocr run their models (tesseract and rapidocr: CPU only)")
    ap.add_argument("--jobs", type=int, default=1,
                    help="toolkit: worker processes, as --jobs runs them (default 1: in this process)")
    ap.add_argument("--copies", type=int, default=1,
                    help="toolkit with --jobs: convert each edition this many times, so that worker start-up and "
                         "the last pages' idle workers weigh less")
    ap.add_argument("--repeat", type=int, default=1, help="rounds over the systems; each system's best counts")
    ap.add_argument("--child", choices=SYSTEMS, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    editions = [e for e in args.editions.split(",") if e]
    if args.child:
        if args.child == "toolkit" and args.jobs > 1:
            data = child_toolkit_pool(editions, args.threads, args.device, args.jobs, args.copies)
        elif args.child == "toolkit":
            data = child_toolkit(editions, args.threads, args.device)
        else:
            data = child_baseline(args.child, editions, args.threads, args.device)
        print(json.dumps(data))
        return 0
    systems = [s for s in args.systems.split(",") if s]
    if args.device == "cuda" and (cpu_only := [s for s in systems if s in ("tesseract", "rapidocr")]):
        raise SystemExit(f"--device cuda: {', '.join(cpu_only)} run on the CPU only; leave them out of --systems")
    best: dict[str, dict[str, Any]] = {}
    # Rounds over all systems in turn: a machine whose speed drifts (other work, clock) treats them alike;
    # each system's fastest round counts.
    for rnd in range(args.repeat):
        for system in systems:
            s = summarise(system, run_child(system, editions, args.threads, args.device, args.jobs, args.copies))
            if args.repeat > 1:
                print(f"round {rnd + 1}: {line(s)}", flush=True)
            if system not in best or s["seconds_per_page"] < best[system]["seconds_per_page"]:
                best[system] = s
    rows = [best[system] for system in systems]
    for s in rows:
        print(line(s), flush=True)
    tk = next((r for r in rows if r["system"].startswith("toolkit")), None)
    if tk:
        ratios = [f"{tk['pages_per_min'] / r['pages_per_min']:.2f}x {r['system']}" for r in rows if r is not tk]
        print(f"toolkit speed: {', '.join(ratios)} (target 1.5x whole-page PP-OCR); stages other than detection and "
              f"recognition {100 * tk['non_ocr_share']:.1f}% (target 10%)")
    if args.json:
        args.json.write_text(json.dumps({"editions": editions, "rows": rows, "cpus": os.cpu_count(), "device": args.device,
                                         "date": time.strftime("%Y-%m-%d")}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
