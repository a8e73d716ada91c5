"""Running page tasks on a Ray cluster (``convert --executor ray``): the same tasks as the local pool, the
same ``done`` callback, so the cache, manifest, failures, progress and edition assembly stay in the runner.

Each Ray actor wraps one :class:`~ocr_pipeline.batch.worker.PageWorker` (models loaded once per actor) and
is given one page at a time, like a local worker process: a page that overruns ``--page-timeout`` costs
only its actor (killed and replaced), and an actor that dies (its node lost, out of memory) costs only its
page, recorded as failed with the reason (``--retry-failed`` redoes it).

Actors write the page cache into OUT themselves and the driver assembles editions from it, so OUT and the
inputs must be at the same paths on every node (a shared filesystem). Each actor checks that when it starts,
and that it runs the same ocr-pipeline code and models as the driver; otherwise the run stops with a
message instead of writing pages that nobody can read or that differ from node to node.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from ocr_pipeline import __version__
from ocr_pipeline.batch import cache
from ocr_pipeline.batch.lock import LOCK_NAME
from ocr_pipeline.batch.worker import PageTask, PageWorker, record_failure, worker_settings
from ocr_pipeline.errors import BatchError, MissingDependencyError
from ocr_pipeline.settings import ConvertSettings

log = logging.getLogger(__name__)

EXTRA_HINT = "install the ray extra: pip install 'ocr-pipeline[ray]' (on every node of the cluster)"


def import_ray() -> ModuleType:
    try:
        import ray
    except ImportError as exc:
        raise MissingDependencyError(f"--executor ray needs Ray, which is not installed; {EXTRA_HINT}") from exc
    return ray


def ray_available() -> bool:
    """Whether ``import ray`` would work, without the second it takes to import it."""
    import importlib.util

    return importlib.util.find_spec("ray") is not None


class PageActor:
    """What runs inside a Ray actor (wrapped by ``ray.remote`` in :func:`run_ray`, so that this module
    imports without Ray)."""

    def __init__(self, settings: ConvertSettings, outdir: str, recorded_threads: int | None, cwd: str,
                 log_level: int) -> None:
        logging.basicConfig(level=log_level, format="%(levelname)s %(name)s: %(message)s")
        # Relative input paths mean the same on every node only from the driver's folder (when it exists).
        if os.path.isdir(cwd):
            os.chdir(cwd)
        self.worker = PageWorker(settings, Path(outdir), recorded_threads)

    def ready(self, lock_text: str | None, probe_input: str | None) -> dict[str, Any]:
        """Load the models; say where this actor runs and what it can see of OUT and the inputs."""
        self.worker.warm()
        try:
            seen = (self.worker.outdir / LOCK_NAME).read_text(encoding="utf-8")
        except OSError:
            seen = None
        stamp = cache.EngineStamp.of(self.worker.converter.settings.engine)
        return {
            "pid": os.getpid(), "node": socket.gethostname(),
            "sees_out": lock_text is None or seen == lock_text,
            "sees_input": probe_input is None or os.path.exists(probe_input),
            "pipeline_version": __version__, "code": cache.code_fingerprint(page_stages=True),
            "engine_version": stamp.version, "models": stamp.models,
        }

    def run(self, task: PageTask) -> dict[str, Any]:
        return self.worker.run(task)


@dataclass(slots=True)
class _Slot:
    actor: Any
    ready_ref: Any = None  # pending ready() call, None once the actor has answered
    node: str = "?"
    task: PageTask | None = None
    ref: Any = None  # pending run() call
    since: float = 0.0


def run_ray(tasks: Iterable[PageTask], jobs: int, settings: ConvertSettings, outdir: Path,
            recorded_threads: int | None, done: Callable[[dict[str, Any]], None], stop: Callable[[], bool], *,
            address: str | None = None, page_timeout: float | None = None) -> None:
    """Run ``tasks`` on ``jobs`` Ray actors; ``done`` gets each page's header in the order pages finish.

    ``address`` is a running cluster's (``HEAD:6379``, ``auto``, ``ray://…``); without one a local Ray is
    started with ``jobs`` CPUs and shut down at the end (a Ray this process had already started is used
    as it is). When ``stop()`` turns true no new page is started; the pages in flight are finished."""
    queue = deque(tasks)
    if not queue:
        return
    ray = import_ray()
    out = Path(outdir).resolve()
    started = _connect(ray, address, jobs)
    # A local Ray shares this machine's cores out like the local pool does; on a cluster each actor takes one
    # CPU of its node (or --threads CPUs), so --jobs is the number of cores to use across the cluster.
    local = address is None
    run_settings = worker_settings(settings, jobs) if local else (
        settings if settings.threads is not None else replace(settings, threads=1))
    cpus = 1 if local else max(1, run_settings.threads or 1)
    actor_cls = ray.remote(num_cpus=cpus, max_restarts=0, scheduling_strategy="SPREAD")(PageActor)
    args = (run_settings, str(out), recorded_threads, os.getcwd(), logging.getLogger().getEffectiveLevel())
    # The run's lock file (unique to this run) tells whether an actor sees the same OUT as the driver.
    lock_text: str | None
    try:
        lock_text = (out / LOCK_NAME).read_text(encoding="utf-8")
    except OSError:  # run_ray called without the runner's lock: nothing to compare with
        lock_text = None
    probe = next((str(t.src.path) for t in queue if t.src.path.exists()), None)
    expect = queue[0].header

    def new_slot() -> _Slot:
        actor = actor_cls.remote(*args)
        return _Slot(actor, ready_ref=actor.ready.remote(lock_text, probe))

    slots = [new_slot() for _ in range(min(jobs, len(queue)))]
    try:
        while True:
            if not stop():
                for s in slots:
                    if s.ready_ref is None and s.task is None and queue:
                        s.task, s.since = queue.popleft(), time.monotonic()
                        s.ref = s.actor.run.remote(s.task)
            busy = [s for s in slots if s.task is not None]
            if not busy and (stop() or not queue):
                return
            pending = [s.ready_ref for s in slots if s.ready_ref is not None] + [s.ref for s in busy]
            wait_s = 0.5
            if page_timeout is not None and busy:
                wait_s = max(0.0, min(wait_s, min(s.since + page_timeout for s in busy) - time.monotonic()))
            finished, _ = ray.wait(pending, num_returns=1, timeout=wait_s)
            if finished:  # take every result that is in, not just the first
                finished, _ = ray.wait(pending, num_returns=len(pending), timeout=0)
            finished_set = set(finished)
            for i, s in enumerate(slots):
                if s.ready_ref is not None and s.ready_ref in finished_set:
                    _take_ready(ray, s, expect, out)
                elif s.ref is not None and s.ref in finished_set:
                    if not _take_page(ray, s, out, done):
                        slots[i] = _replace(ray, s, new_slot)
                elif (page_timeout is not None and s.task is not None
                      and time.monotonic() - s.since > page_timeout):
                    task, ref = s.task, s.ref
                    log.warning("%s took more than %g s on %s; stopping its actor", task.label, page_timeout,
                                s.node)
                    slots[i] = _replace(ray, s, new_slot)
                    # The kill is asynchronous: wait for it, or the page could still land in the cache after
                    # (and over) its failure record.
                    ray.wait([ref], timeout=10)
                    done(record_failure(out, task, f"{task.src.path}: timeout: page took more than "
                                                   f"{page_timeout:g} s"))
    finally:
        for s in slots:
            try:
                ray.kill(s.actor, no_restart=True)
            except Exception as exc:  # already dead, or the cluster is gone: nothing left to stop
                log.debug("ray.kill: %s", exc)
        if started:
            ray.shutdown()


def _connect(ray: ModuleType, address: str | None, jobs: int) -> bool:
    """Connect to (or start) Ray; True when this call started it, so the run shuts it down again."""
    if ray.is_initialized():
        return False
    # No usage report to Ray's servers unless the user asked for it.
    os.environ.setdefault("RAY_DISABLE_USAGE_STATS", "1")
    if address is not None:
        _check_reachable(address)
    try:
        if address is None:
            # "local": a new Ray of our own, even where `ray start` left one running (or its address file).
            ray.init(address="local", num_cpus=jobs, include_dashboard=False, logging_level=logging.WARNING)
        else:
            ray.init(address=address, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        raise BatchError(f"cannot connect to {where}: {exc}; is `ray start --head` running there?") from exc
    return True


def _check_reachable(address: str) -> None:
    """Fail at once on a cluster address nothing answers at: ``ray.init`` would retry for many minutes."""
    hostport = address.removeprefix("ray://")
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():  # "auto" and the like: Ray finds the cluster itself
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=10).close()
    except OSError as exc:
        raise BatchError(f"nothing answers at {address} ({exc}); start the cluster's head there with "
                         "`ray start --head --port=6379`, or give its address with --ray-address") from exc


def _take_ready(ray: ModuleType, s: _Slot, expect: dict[str, Any], out: Path) -> None:
    ref, s.ready_ref = s.ready_ref, None
    try:
        info = ray.get(ref)
    except ray.exceptions.RayError as exc:
        raise BatchError(f"a Ray actor could not start: {_short(exc)}; run with --executor local --jobs 1 to "
                         "see why") from exc
    s.node = f"{info['node']} (pid {info['pid']})"
    if not info["sees_out"]:
        raise BatchError(f"node {info['node']} does not see the output folder {out} as this machine does; "
                         "with --executor ray it must be on a filesystem every node mounts at the same path")
    if not info["sees_input"]:
        raise BatchError(f"node {info['node']} cannot read the inputs; with --executor ray they must be on a "
                         "filesystem every node mounts at the same path (give absolute paths)")
    if info["node"] == socket.gethostname():
        # This machine's own files: the same code as the driver's (a file edited since the run began is
        # no more a concern here than with local worker processes).
        return
    for key in ("pipeline_version", "code", "engine_version", "models"):
        if info[key] != expect.get(key):
            raise BatchError(f"node {info['node']} runs other ocr-pipeline code or models than this machine "
                             f"({key} differs); install the same version on every node")


def _take_page(ray: ModuleType, s: _Slot, out: Path, done: Callable[[dict[str, Any]], None]) -> bool:
    """Report a finished page; False when its actor died and must be replaced."""
    task, ref = s.task, s.ref
    assert task is not None
    s.task = s.ref = None
    try:
        header = ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        # The page raised past convert_page_safely (its cache entry could not be written, say); the actor
        # itself is fine.
        log.warning("%s failed on %s: %s", task.label, s.node, _short(exc))
        done(record_failure(out, task, f"{task.src.path}: {_short(exc)}"))
        return True
    except ray.exceptions.RayError as exc:
        log.warning("Ray actor %s died on %s; replacing it", s.node, task.label)
        done(record_failure(out, task, f"{task.src.path}: Ray actor died on this page ({_short(exc)})"))
        return False
    if cache.read_header(cache.cache_path(out, header["edition"], header["page"])) is None:
        raise BatchError(f"{task.label} was converted on {s.node} but its cache entry is not in {out} here; "
                         "with --executor ray the output folder must be on a filesystem every node mounts at "
                         "the same path")
    done(header)
    return True


def _replace(ray: ModuleType, s: _Slot, new_slot: Callable[[], _Slot]) -> _Slot:
    try:
        ray.kill(s.actor, no_restart=True)
    except Exception as exc:  # already dead
        log.debug("ray.kill: %s", exc)
    return new_slot()


def _short(exc: BaseException) -> str:
    """The first line of a Ray error (its full text holds the remote traceback)."""
    cause = getattr(exc, "cause", None)  # a RayTaskError's original exception
    text = f"{type(cause).__name__}: {cause}" if isinstance(cause, BaseException) else str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
