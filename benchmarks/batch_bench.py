"""Batch conversion of a generated archive: throughput with --jobs 1 and --jobs 2, failures, memory.

    python benchmarks/batch_bench.py                      # 100 pages, 10 editions, jobs 1 and 2
    python benchmarks/batch_bench.py --pages 60 --jobs 1 2 1 2   # interleaved: best run of each counts

The archive: editions of 10 pages (tests/render.py pages, two columns, Chinese, text written for the
tests) and about 5% bad files: zero bytes, truncated PNG, text named .png, password-protected PDF,
1x1 px image, 20,000 x 20,000 px image. Each run converts the archive into a fresh folder through
``ocr_pipeline.batch.run_batch`` with its --log-file; reported per run: wall seconds, pages per minute,
pages ok / failed, failures.jsonl lines, exit code, whether its edition folders are byte-identical to the
first run's, and for each worker process the mean peak RSS after its first and after its last 10 pages
(a growing worker would show a higher last figure).

Run it on a snapshot (``git archive HEAD | tar -x -C DIR``) when others are editing the working tree: a
run that outlives a change of the layout code compares two versions of it.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_pipeline.batch import BatchOptions, run_batch  # noqa: E402
from ocr_pipeline.settings import ConvertSettings  # noqa: E402
from tests.render import render_columns_page, save  # noqa: E402

HEADLINES = ["社区食堂开业百日", "河湾新区试点配送", "居民走几步吃热饭", "街道联合菜市场", "独居老人送餐上门"]
PER_EDITION = 10


def make_archive(root: Path, pages: int, width: int, height: int) -> tuple[Path, int]:
    """Returns the archive folder and the number of bad files in it."""
    from PIL import Image
    from reportlab.pdfgen import canvas

    arch = root / "archive"
    variants = []
    for k in range(len(HEADLINES)):
        p = render_columns_page(lang="zh", ncols=2 + k % 2, gutter=30, rule_after=(0,), width=width, height=height,
                                size=24, headline=HEADLINES[k])
        variants.append(save(p, root / f"variant-{k}.png"))
    bad_makers = [
        lambda p: p.write_bytes(b""),
        lambda p: p.write_bytes(variants[0].read_bytes()[:5000]),
        lambda p: p.write_text("a note saved with the wrong extension", encoding="utf-8"),
        lambda p: Image.new("L", (1, 1), 255).save(p),
        lambda p: Image.new("1", (20_000, 20_000), 1).save(p),
    ]
    n_bad = max(len(bad_makers) + 1, round(pages * 0.05))
    bad_at = {round(i * pages / n_bad) + 3 for i in range(n_bad)}
    made_bad = 0
    for i in range(pages):
        ed = arch / f"ed-{i // PER_EDITION + 1:03d}"
        ed.mkdir(parents=True, exist_ok=True)
        path = ed / f"page-{i % PER_EDITION + 1:02d}.png"
        if i in bad_at and made_bad < len(bad_makers):
            bad_makers[made_bad](path)
            made_bad += 1
        else:
            shutil.copyfile(variants[i % len(variants)], path)
    # A password-protected PDF as an edition of its own.
    c = canvas.Canvas(str(arch / "locked.pdf"), encrypt="secret")
    c.drawString(100, 700, "locked")
    c.save()
    return arch, made_bad + 1


def _outputs(out: Path) -> dict[str, bytes]:
    return {str(f.relative_to(out)): f.read_bytes() for d in sorted(out.iterdir())
            if d.is_dir() and not d.name.startswith(".") for f in sorted(d.rglob("*")) if f.is_file()}


def run(arch: Path, out: Path, jobs: int) -> dict:
    logf = out.parent / f"log-{jobs}.jsonl"
    logf.unlink(missing_ok=True)
    t = time.perf_counter()
    result = run_batch([arch], out, ConvertSettings(lang="zh"), BatchOptions(jobs=jobs, log_file=logf))
    wall = time.perf_counter() - t
    events = [json.loads(x) for x in logf.read_text(encoding="utf-8").splitlines()]
    pages = [e for e in events if e["event"] == "page"]
    by_worker: dict[int, list[float]] = defaultdict(list)
    for e in pages:
        if e["status"] == "ok":
            by_worker[e["worker"]].append(e["peak_rss_mb"])
    memory = {str(w): {"pages": len(v), "first10_mb": round(statistics.mean(v[:10]), 1),
                       "last10_mb": round(statistics.mean(v[-10:]), 1)} for w, v in by_worker.items()}
    failures = (out / "failures.jsonl").read_text(encoding="utf-8").splitlines()
    return {"jobs": jobs, "wall_s": round(wall, 1), "pages": len(pages),
            "pages_per_min": round(60 * len(pages) / wall, 1),
            "ok": sum(e["status"] == "ok" for e in pages), "failed": sum(e["status"] != "ok" for e in pages),
            "failures_jsonl": len(failures), "exit_code": result.exit_code, "workers": memory}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=100)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--size", default="640x760", help="page size in px, WxH")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    width, height = (int(x) for x in args.size.split("x"))
    work = args.workdir or Path(tempfile.mkdtemp(prefix="batch-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    # In a child process: drawing the 20,000 px image would otherwise set this process's peak memory, which
    # is the worker's figure for --jobs 1.
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as ex:
        arch, n_bad = ex.submit(make_archive, work, args.pages, width, height).result()
    print(f"archive: {args.pages} page files + 1 locked PDF in {arch}; {n_bad} bad inputs")
    rows, first = [], None
    for jobs in args.jobs:
        out = work / f"out-{jobs}"
        shutil.rmtree(out, ignore_errors=True)
        row = run(arch, out, jobs)
        files = _outputs(out)
        first = first or files
        row["same_outputs_as_first"] = files == first
        rows.append(row)
        print(json.dumps(row))
    # Best run per job count: on a shared machine the load of others only ever slows a run down.
    best: dict[int, float] = {}
    for row in rows:
        best[row["jobs"]] = max(best.get(row["jobs"], 0.0), row["pages_per_min"])
    base = min(best)
    for jobs in sorted(best):
        print(f"jobs {jobs}: best {best[jobs]:.1f} pages/min, {best[jobs] / best[base]:.2f} x jobs {base}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
