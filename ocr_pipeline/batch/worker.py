"""Running page tasks: in this process, or in worker processes that each hold one engine.

The pool is a small one of our own rather than ``ProcessPoolExecutor``: a page that hangs must be stopped
(``--page-timeout``) by killing its worker, and a worker that dies must cost only its own page, not every
page in flight (``ProcessPoolExecutor`` breaks as a whole in both cases).
"""

from __future__ import annotations

import gc
import logging
import multiprocessing as mp
import multiprocessing.connection as mpc
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ocr_pipeline.batch import cache
from ocr_pipeline.errors import OcrPipelineError
from ocr_pipeline.ingest.types import PageSource
from ocr_pipeline.settings import ConvertSettings
from ocr_pipeline.util.fs import PendingWrites

if TYPE_CHECKING:
    from ocr_pipeline.pipeline import PageResult

log = logging.getLogger(__name__)


@dataclass(slots=True)
class PageTask:
    header: dict[str, Any]  # cache.page_header(...) with status "pending"
    src: PageSource
    attempts: int = 0

    @property
    def label(self) -> str:
        return f"{self.header['edition']} page {self.header['page']} ({self.src.label})"


class PageWorker:
    """Converts pages with one engine and writes each page's cache entry and page image.

    ``keep``: also hand each page's result (without its image) to this dict, keyed (edition, page), so that
    an edition assembled in this process need not read back what was just cached (``read_page`` of the
    cache entry gives equal objects: the model round-trips exactly through JSON)."""

    def __init__(self, settings: ConvertSettings, outdir: Path, recorded_threads: int | None,
                 keep: dict[tuple[str, int], PageResult] | None = None) -> None:
        from ocr_pipeline.pipeline import Converter

        self.converter = Converter(settings, page_images=True)
        self.outdir = Path(outdir)
        # The thread count is recorded as the user gave it: the outputs of --jobs 1 and --jobs 4 must match.
        self.recorded_threads = recorded_threads
        self.keep = keep
        # The cache entries and the page images (and thumbnails) of this edition's pages, still being written
        # (see ``run``).
        self.pending = PendingWrites()
        self.images = PendingWrites()

    def warm(self) -> None:
        """Load the models now, so the first page's time (and its timeout) is the page's own."""
        try:
            _ = self.converter.engine
        except Exception as exc:  # the same error comes back on every page, recorded there
            log.debug("engine not loaded: %s", exc)
        settle_heap()

    def run(self, task: PageTask, next_task: PageTask | None = None) -> dict[str, Any]:
        """Convert a page and cache it; ``next_task``: the page this worker converts next, if known (its
        image is decoded while this page is laid out).

        The page's cache entry and image are in place when this returns, unless ``next_task`` is a page of
        the same edition: then they are written while that page is converted (the edition is assembled
        from these files only after its last page, whose return waits for all of them). A worker that keeps
        its pages (``keep``: they are assembled in this process) leaves the page images of an edition's last
        page to be waited for by ``images_written``, just before the edition's files are written: the last
        page's JPEG is still being encoded and written while the edition is assembled."""
        from ocr_pipeline.pipeline import PageTiming

        src, number = task.src, task.header["page"]
        t = time.perf_counter()
        timing = PageTiming()
        det0 = self._detection_seconds()
        res = self.converter.convert_page_safely(src, number, timing,
                                                 next_src=next_task.src if next_task is not None else None)
        detection = self._detection_seconds() - det0
        for step in res.page.provenance:
            if step.stage == "ocr" and "threads" in step.settings:
                step.settings["threads"] = self.recorded_threads
        t_image = time.perf_counter()
        if res.image is not None:
            from ocr_pipeline.api import save_page_image

            # Into the cache: the edition folder is written whole once all its pages are done.
            save_page_image(res, cache.edition_cache_dir(self.outdir, task.header["edition"]), self.images)
        # Where the page's time went, in this process (benchmarks/throughput.py adds up a pool's pages).
        stages = {"load": timing.load, "preprocess": timing.preprocess, "detection": detection,
                  "recognition": timing.ocr - detection, "layout": timing.layout,
                  "page_image": time.perf_counter() - t_image}
        header = dict(task.header, status=res.page.status, error="; ".join(res.page.errors),
                      seconds=round(time.perf_counter() - t, 3), peak_rss_mb=_peak_rss_mb(),
                      worker=os.getpid(), stages={k: round(v, 4) for k, v in stages.items()},
                      image=res.image is not None)  # so that a later run sees whether it is in place
        cache.write_page(self.outdir, header, res.page, res.articles, self.pending)
        if next_task is None or next_task.header["edition"] != task.header["edition"]:
            # The cache entries at least: the edition's assembly changes the pages, whose JSON they are made from.
            self.pending.wait()
            if self.keep is None:
                self.images_written()
        if self.keep is not None:
            res.image = None
            self.keep[(header["edition"], number)] = res
        return header

    def flush(self) -> None:
        """Wait until every cache entry and page image of the pages run so far is written (raises the first
        write error)."""
        try:
            self.pending.wait()
        finally:
            self.images_written()

    def images_written(self) -> None:
        """Wait until the page images (and their thumbnails) of the pages run so far are written."""
        self.images.wait()

    def _detection_seconds(self) -> float:
        """The engine's detection time so far (engines that time their stages; 0 before it is made)."""
        engine = self.converter._engine
        return float(getattr(engine, "timings", {}).get("det", 0.0)) if engine is not None else 0.0


def settle_heap() -> None:
    """Freeze what the process holds now (models, dictionaries, this run's bookkeeping) out of the garbage
    collector's sight until ``gc.unfreeze`` at the end of the run.

    The page stages make hundreds of thousands of small objects, so Python runs its full collections
    every few pages, and each one walked every long-lived object as well: 60 ms each once the word
    dictionaries were loaded, 26 ms a page. Frozen objects are not walked. The young generations are
    collected first (a millisecond), so that little garbage is frozen with them: an edition leaves about
    80 unreachable objects, and those frozen are freed when the run ends. A full collection here cost
    25-50 ms each time."""
    gc.collect(1)
    gc.freeze()


def _peak_rss_mb() -> float:
    """Peak resident memory of this process so far (to see that a long-running worker does not grow).

    VmHWM, not getrusage's ru_maxrss: a spawned worker's ru_maxrss starts at its parent's peak (Linux keeps
    it across fork and exec), so it would hide the worker's own figure."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:  # not POSIX
        return 0.0
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def record_failure(outdir: Path, task: PageTask, reason: str) -> dict[str, Any]:
    """Cache a page that a worker could not report on (timeout, worker died) as failed."""
    number = task.header["page"]
    header = dict(task.header, status="failed", error=reason)
    from ocr_pipeline.pipeline import failed_page

    cache.write_page(outdir, header, failed_page(task.src, number, reason), [])
    return header


# --- in this process ---------------------------------------------------------------------------------

def run_inline(tasks: Iterable[PageTask], worker: PageWorker, done: Callable[[dict[str, Any]], None],
               stop: Callable[[], bool]) -> None:
    worker.warm()
    todo = list(tasks)
    try:
        for i, task in enumerate(todo):
            if stop():
                return
            done(worker.run(task, todo[i + 1] if i + 1 < len(todo) else None))
    finally:
        worker.flush()  # stopped between two pages of an edition: what they wrote is in place


# --- worker processes --------------------------------------------------------------------------------

def _die_with_parent(parent: int) -> None:
    """A worker whose parent was killed (kill -9) must not go on writing into OUT beside a resumed run."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _worker_main(conn: mpc.Connection, settings: ConvertSettings, outdir: str, recorded_threads: int | None,
                 log_level: int, parent: int) -> None:
    _die_with_parent(parent)
    # Ctrl-C reaches the whole process group: the parent decides when to stop; a worker ends its page.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=log_level, format="%(levelname)s %(name)s: %(message)s")
    worker = PageWorker(settings, Path(outdir), recorded_threads)
    worker.warm()
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        conn.send(("done", worker.run(task)))


class _Proc:
    def __init__(self, ctx: Any, args: tuple[Any, ...]) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, *args), daemon=True)
        self.proc.start()
        child.close()
        self.ready = False
        self.task: PageTask | None = None
        self.since = 0.0

    def send(self, task: PageTask) -> None:
        self.task, self.since = task, time.monotonic()
        self.conn.send(task)

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


def run_pool(tasks: Iterable[PageTask], jobs: int, settings: ConvertSettings, outdir: Path,
             recorded_threads: int | None, done: Callable[[dict[str, Any]], None], stop: Callable[[], bool],
             page_timeout: float | None = None) -> None:
    """Run ``tasks`` on ``jobs`` worker processes; ``done`` gets each page's header in the order pages finish.

    When ``stop()`` turns true no new page is started; the pages in flight are finished and reported."""
    queue = deque(tasks)
    if not queue:
        return
    # spawn, not fork: the parent may hold threads (progress bar, engine libraries), and a forked child of a
    # threaded process can deadlock on a lock held at fork time.
    ctx = mp.get_context("spawn")
    args = (settings, str(outdir), recorded_threads, logging.getLogger().getEffectiveLevel(), os.getpid())
    procs = [_Proc(ctx, args) for _ in range(min(jobs, len(queue)))]
    try:
        while True:
            if not stop():
                for p in procs:
                    if p.ready and p.task is None and queue:
                        p.send(queue.popleft())
            busy = [p for p in procs if p.task is not None]
            starting = [p for p in procs if not p.ready]
            if not busy and (stop() or not queue):
                return
            wait_s = 0.5
            if page_timeout is not None and busy:
                left = min(p.since + page_timeout for p in busy) - time.monotonic()
                wait_s = max(0.0, min(wait_s, left))
            watch: list[Any] = [p.conn for p in busy + starting] + [p.proc.sentinel for p in busy + starting]
            mpc.wait(watch, timeout=wait_s)
            for i, p in enumerate(procs):
                replacement = _check(p, ctx, args, outdir, queue, done, page_timeout)
                if replacement is not None:
                    procs[i] = replacement
    finally:
        for p in procs:
            try:
                if p.proc.is_alive():
                    p.conn.send(None)
            except OSError:
                pass
        for p in procs:
            p.proc.join(2)
            p.kill()


def _check(p: _Proc, ctx: Any, args: tuple[Any, ...], outdir: Path, queue: deque[PageTask],
           done: Callable[[dict[str, Any]], None], page_timeout: float | None) -> _Proc | None:
    """Take what one worker has to say; returns a new worker when this one had to be replaced."""
    try:
        while p.conn.poll():
            kind, value = p.conn.recv()
            if kind == "ready":
                p.ready = True
            elif kind == "done" and p.task is not None:
                p.task = None
                done(value)
    except (EOFError, OSError):
        pass  # the pipe broke: the process is dead, handled below
    if not p.proc.is_alive():
        code = p.proc.exitcode
        p.kill()
        task = p.task
        if task is not None:
            task.attempts += 1
            if task.attempts < 2:
                log.warning("worker died (exit code %s) on %s; trying that page once more", code, task.label)
                queue.appendleft(task)
            else:
                done(record_failure(outdir, task, f"{task.src.path}: worker process died (exit code {code}) "
                                                  "on this page twice"))
        elif not p.ready:
            raise OcrPipelineError(f"a worker process could not start (exit code {code}); run with --jobs 1 "
                                   "to see why")
        return _Proc(ctx, args)
    if page_timeout is not None and p.task is not None and time.monotonic() - p.since > page_timeout:
        task = p.task
        log.warning("%s took more than %g s; stopping it", task.label, page_timeout)
        p.kill()
        done(record_failure(outdir, task, f"{task.src.path}: timeout: page took more than {page_timeout:g} s"))
        return _Proc(ctx, args)
    return None


def worker_settings(settings: ConvertSettings, jobs: int) -> ConvertSettings:
    """Threads per worker: the user's --threads, else the cores shared out so N workers do not oversubscribe."""
    if settings.threads is not None:
        return settings
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return replace(settings, threads=max(1, cores // max(1, jobs)))
