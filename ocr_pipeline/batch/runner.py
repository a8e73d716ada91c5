"""A batch run: discover editions, convert the pages that need it (in parallel), assemble each edition as
soon as its pages are done, and keep the manifest, the failure list and the run lock."""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from ocr_pipeline import __version__
from ocr_pipeline.batch import cache
from ocr_pipeline.batch.lock import RunLock
from ocr_pipeline.batch.worker import PageTask, PageWorker, run_inline, run_pool, settle_heap, worker_settings
from ocr_pipeline.errors import ConfigError, MissingDependencyError, OcrPipelineError
from ocr_pipeline.export.options import ExportOptions
from ocr_pipeline.ingest.types import EditionSource
from ocr_pipeline.model import Edition, ProcessingStep
from ocr_pipeline.pipeline import EditionOutcome, PageResult, RunResult
from ocr_pipeline.settings import ConvertSettings

log = logging.getLogger(__name__)

EXIT_INTERRUPTED = 130


@dataclass(slots=True)
class BatchOptions:
    """How a run is scheduled; validates itself."""

    jobs: int = 1
    force: bool = False  # redo every page, cached or not
    retry_failed: bool = False  # redo the pages recorded as failed (unchanged ones are otherwise skipped)
    page_timeout: float | None = None  # seconds; needs worker processes, so it implies a pool of >= 1
    log_file: Path | None = None  # JSON lines: one per page and one per edition
    executor: str = "local"  # "local" worker processes, or "ray" actors (see batch.ray_executor)
    ray_address: str | None = None  # a running Ray cluster; None starts a local Ray with `jobs` CPUs

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise ConfigError("--jobs must be at least 1")
        if self.page_timeout is not None and self.page_timeout <= 0:
            raise ConfigError("--page-timeout must be a positive number of seconds")
        if self.executor not in ("local", "ray"):
            raise ConfigError(f"unknown executor {self.executor!r}; use local or ray")
        if self.ray_address is not None and self.executor != "ray":
            raise ConfigError("--ray-address needs --executor ray")
        if self.executor == "ray":
            from ocr_pipeline.batch.ray_executor import EXTRA_HINT, ray_available

            # Said now, not after the archive has been hashed.
            if not ray_available():
                raise MissingDependencyError(f"--executor ray needs Ray, which is not installed; {EXTRA_HINT}")


@dataclass(slots=True)
class PageEvent:
    """One page accounted for: converted now, or skipped because its cached result still holds."""

    edition: str
    page: int
    input: str
    status: str  # "ok" | "failed"
    error: str = ""
    skipped: bool = False
    seconds: float = 0.0
    peak_rss_mb: float = 0.0  # of the process that converted it, after the page
    worker: int = 0  # pid of that process
    # Seconds of the page's stages in that process: load, preprocess, detection, recognition, layout, page_image.
    stages: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class BatchResult(RunResult):
    pages_total: int = 0
    pages_converted: int = 0
    pages_skipped: int = 0
    pages_failed: int = 0
    interrupted: bool = False

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        return RunResult.exit_code.fget(self)  # type: ignore[attr-defined,no-any-return]


class _Stop:
    """SIGINT: first press stops after the pages in flight, a second one stops at once."""

    def __init__(self) -> None:
        self.flag = False
        self._old: Any = None

    def __call__(self) -> bool:
        return self.flag

    def _handler(self, signum: int, frame: Any) -> None:
        if self.flag:
            raise KeyboardInterrupt
        self.flag = True
        log.warning("interrupted: finishing the pages in flight, then stopping (Ctrl-C again to stop now)")

    def __enter__(self) -> _Stop:
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)


class _Log:
    def __init__(self, path: Path | None) -> None:
        self.fh: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()

    def write(self, event: str, **data: Any) -> None:
        if self.fh is not None:
            rec = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "event": event, **data}
            self.fh.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
            self.fh.flush()

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


def run_batch(
    inputs: Sequence[str | Path],
    outdir: str | Path,
    settings: ConvertSettings | None = None,
    options: BatchOptions | None = None,
    *,
    export_options: ExportOptions | None = None,
    on_editions: Callable[[list[EditionSource], int], None] | None = None,
    on_page: Callable[[PageEvent], None] | None = None,
    on_edition: Callable[[EditionOutcome], None] | None = None,
) -> BatchResult:
    """Convert every edition found in ``inputs`` into ``outdir``, reusing cached pages; never stops on a bad
    page or file. ``on_editions(editions, pages_to_convert)`` is called once before any page is converted."""
    from ocr_pipeline.ingest import discover

    settings = settings or ConvertSettings()
    options = options or BatchOptions()
    out = Path(outdir)
    result = BatchResult()
    with RunLock(out), _Stop() as stop:
        removed = cache.remove_stale_temporaries(out)
        if removed:
            log.info("removed %d temporary file(s) of an interrupted run", removed)
        editions = discover([Path(p) for p in inputs])
        manifest = cache.load_manifest(out)
        stamp = cache.EngineStamp.of(settings.engine)
        hasher = cache.InputHasher()
        runlog = _Log(options.log_file)
        try:
            tasks: list[PageTask] = []
            headers: dict[str, list[dict[str, Any]]] = {}
            for esrc in editions:
                headers[esrc.id] = []
                for number, src in enumerate(esrc.pages, 1):
                    wanted = cache.page_header(esrc.id, number, src, hasher.page(src), stamp, settings)
                    have = cache.read_header(cache.cache_path(out, esrc.id, number))
                    if (have is not None and not options.force and cache.same_key(have, wanted)
                            and not (options.retry_failed and have.get("status") == "failed")
                            and cache.page_files_present(out, have)):
                        headers[esrc.id].append(have)
                    else:
                        tasks.append(PageTask(wanted, src))
            result.pages_total = sum(len(e.pages) for e in editions)
            if tasks:
                from ocr_pipeline.export import side

                side.prestart()  # ready by the time the first edition's ALTO files are made
            if on_editions:
                on_editions(editions, len(tasks))
            by_id = {e.id: e for e in editions}
            kept: dict[tuple[str, int], PageResult] = {}  # pages converted in this process, not yet assembled
            recorded = settings.threads
            inline = (PageWorker(settings, out, recorded, keep=kept)
                      if options.executor != "ray" and options.jobs == 1 and options.page_timeout is None else None)
            remaining = {e.id: len(e.pages) - len(headers[e.id]) for e in editions}
            outcomes: dict[str, EditionOutcome] = {}

            def finish(eid: str) -> None:
                esrc = by_id[eid]
                input_errors = [[str(p), m] for p, m in esrc.errors]
                fresh = {n: kept.pop((e, n)) for e, n in list(kept) if e == eid}
                try:
                    oc = _finish_edition(eid, headers[eid], input_errors, out, settings, export_options, manifest,
                                         root=esrc.root, fresh=fresh,
                                         before_write=inline.images_written if inline is not None else None)
                except Exception as exc:  # one edition that cannot be assembled must not stop the archive
                    log.exception("edition %s could not be assembled", eid)
                    oc = EditionOutcome(id=eid, outdir=None, status="failure",
                                        errors=[f"{eid}: assembling the edition failed: {exc}"])
                    manifest["editions"][eid] = {"status": "failure", "pages": headers[eid], "errors": oc.errors,
                                                 "input_errors": input_errors, "settings": settings.to_dict()}
                outcomes[eid] = oc
                del fresh
                settle_heap()  # what the edition loaded for good (word dictionaries) joins the frozen heap
                runlog.write("edition", edition=eid, status=oc.status, pages_ok=oc.pages_ok,
                             pages_failed=oc.pages_failed, quality=round(oc.quality, 4), errors=oc.errors,
                             seconds=round(oc.seconds, 3))
                if on_edition:
                    on_edition(oc)

            for esrc in editions:
                for h in headers[esrc.id]:
                    ev = PageEvent(esrc.id, h["page"], h["input"], h["status"], h.get("error", ""), skipped=True)
                    result.pages_skipped += 1
                    result.pages_failed += h["status"] != "ok"
                    runlog.write("page", **_ev_dict(ev))
                    if on_page:
                        on_page(ev)
                if remaining[esrc.id] == 0:
                    finish(esrc.id)

            def done(header: dict[str, Any]) -> None:
                eid = header["edition"]
                headers[eid].append(header)
                result.pages_converted += 1
                result.pages_failed += header["status"] != "ok"
                ev = PageEvent(eid, header["page"], header["input"], header["status"], header.get("error", ""),
                               seconds=header.get("seconds", 0.0), peak_rss_mb=header.get("peak_rss_mb", 0.0),
                               worker=header.get("worker", 0), stages=header.get("stages", {}))
                runlog.write("page", **_ev_dict(ev))
                if on_page:
                    on_page(ev)
                remaining[eid] -= 1
                if remaining[eid] == 0:
                    finish(eid)

            if options.executor == "ray":
                from ocr_pipeline.batch.ray_executor import run_ray

                run_ray(tasks, options.jobs, settings, out, recorded, done, stop, address=options.ray_address,
                        page_timeout=options.page_timeout)
            elif inline is not None:
                run_inline(tasks, inline, done, stop)
            else:
                run_pool(tasks, options.jobs, worker_settings(settings, options.jobs), out, recorded, done, stop,
                         page_timeout=options.page_timeout)
            # A Ctrl-C after the last page is not an interruption: everything was written.
            result.interrupted = stop() and any(n > 0 for n in remaining.values())
            result.editions = [outcomes[e.id] for e in editions if e.id in outcomes]
        finally:
            runlog.close()
            cache.save_manifest(out, manifest)
            gc.unfreeze()
    return result


def _ev_dict(ev: PageEvent) -> dict[str, Any]:
    return {"edition": ev.edition, "page": ev.page, "input": ev.input, "status": ev.status, "error": ev.error,
            "skipped": ev.skipped, "seconds": ev.seconds, "peak_rss_mb": ev.peak_rss_mb, "worker": ev.worker,
            "stages": ev.stages}


def _created(edition: Edition, inputs: list[str]) -> datetime:
    """NewsML versionCreated, derived from the inputs so that a resumed run writes the same bytes as a clean
    one: the edition's printed date, else the newest modification time of its input files."""
    if edition.date:
        try:
            return datetime.fromisoformat(edition.date).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    mtimes = []
    for p in inputs:
        try:
            mtimes.append(int(Path(p).stat().st_mtime))
        except OSError:
            pass
    return datetime.fromtimestamp(max(mtimes) if mtimes else 0, timezone.utc)


# Header fields that describe how a page ran, not what it produced.
_RUN_FIELDS = frozenset({"seconds", "peak_rss_mb", "worker", "stages"})


def _outputs_key(headers: list[dict[str, Any]], settings: ConvertSettings, export_options: ExportOptions | None,
                 created: str) -> str:
    keyed = [{k: v for k, v in h.items() if k not in _RUN_FIELDS} for h in headers]
    data = {"pages": keyed, "layout": settings.layout, "lang": settings.lang, "export": repr(export_options),
            "created": created, "version": __version__, "code": cache.code_fingerprint(page_stages=False)}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _finish_edition(eid: str, headers: list[dict[str, Any]], input_errors: list[list[str]], out: Path,
                    settings: ConvertSettings, export_options: ExportOptions | None,
                    manifest: dict[str, Any], *, root: Path | None = None, always: bool = False,
                    fresh: dict[int, PageResult] | None = None,
                    before_write: Callable[[], None] | None = None) -> EditionOutcome:
    """Assemble an edition from its cached pages and write its outputs (skipped when nothing changed).

    ``fresh``: pages converted in this process, by number, taken as they are instead of read back.
    ``before_write``: called once the edition is assembled, before its files are written (the page images of
    the pages just converted are waited for there: ``PageWorker.images_written``)."""
    started = time.perf_counter()
    headers.sort(key=lambda h: h["page"])
    errors = [f"{p}: {m}" for p, m in input_errors]
    entry = manifest["editions"].get(eid, {})
    if not headers:
        errors = errors or [f"{root or eid}: no pages found"]
        manifest["editions"][eid] = {"status": "failure", "pages": [], "input_errors": input_errors, "errors": errors}
        return EditionOutcome(id=eid, outdir=None, status="failure", errors=errors)
    edition_dir = out / eid
    ok = sum(h["status"] == "ok" for h in headers)
    failed = len(headers) - ok
    page_errors = [h["error"] for h in headers if h["status"] != "ok" and h.get("error")]
    key_hint = entry.get("outputs_key")
    if (not always and key_hint and entry.get("created") and (edition_dir / "edition.json").is_file()
            and key_hint == _outputs_key(headers, settings, export_options, entry["created"])):
        oc = EditionOutcome(id=eid, outdir=edition_dir, status=entry["status"], pages_ok=ok, pages_failed=failed,
                            errors=errors + page_errors, quality=float(entry.get("quality", 0.0)))
        entry["input_errors"] = input_errors
        return oc

    from ocr_pipeline.pipeline import assemble_edition

    edition = Edition(id=eid, language=settings.lang)
    edition.provenance.append(
        ProcessingStep(stage="convert", name="ocr-pipeline", version=__version__, settings=settings.to_dict())
    )
    results = []
    for h in headers:
        if fresh and h["page"] in fresh:
            res = fresh[h["page"]]
            results.append(res)
            edition.pages.append(res.page)
            continue
        try:
            _, res = cache.read_page(cache.cache_path(out, eid, h["page"]))
        except (OSError, ValueError, KeyError) as exc:
            raise OcrPipelineError(f"cached page {h['page']} of {eid} is unreadable ({exc}); run again with --force",
                                   path=str(cache.cache_path(out, eid, h["page"]))) from exc
        results.append(res)
        edition.pages.append(res.page)
    assemble_edition(edition, results, settings.lang, settings.layout)
    opts = export_options or ExportOptions()
    if opts.created is None:
        opts = opts.replace(created=_created(edition, [h["input"] for h in headers]))
    created = opts.timestamp()
    errors += page_errors
    quality = 0.0
    target: Path | None = edition_dir
    try:
        if before_write is not None:
            before_write()
        quality = _write_whole(edition, out, opts, [h["page"] for h in headers],
                               {h["page"] for h in headers if h.get("image")})
    except OcrPipelineError as exc:
        errors.append(str(exc))
        target = None
    except OSError as exc:
        errors.append(f"{edition_dir}: cannot write outputs: {exc}")
        target = None
    status = "success" if failed == 0 and not errors else ("failure" if ok == 0 or target is None else "partial")
    manifest["editions"][eid] = {
        "status": status, "quality": quality, "created": created, "errors": errors, "input_errors": input_errors,
        "settings": settings.to_dict(), "pages": headers,
        "outputs_key": _outputs_key(headers, settings, export_options, created) if target else None,
    }
    cache.save_manifest(out, manifest)
    return EditionOutcome(id=eid, outdir=target, status=status, pages_ok=ok, pages_failed=failed, errors=errors,
                          quality=quality, seconds=time.perf_counter() - started)


def _write_whole(edition: Edition, out: Path, opts: ExportOptions, numbers: list[int],
                 imaged: set[int] | frozenset[int] = frozenset()) -> float:
    """Write the edition into a staging folder, then put it in place of the old one: a reader (or a killed
    run) sees the old outputs or the new ones, never a mix. Returns the quality score.

    ``imaged``: the pages whose cache entries say they have a page image (one missing is warned of)."""
    from ocr_pipeline.api import write_edition
    from ocr_pipeline.report.build import thumbnail_file
    from ocr_pipeline.util.fs import atomic_write_bytes

    final = out / edition.id
    staging = out / f".{edition.id}.staging"
    old = out / f".{edition.id}.old"
    for d in (staging, old):
        shutil.rmtree(d, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for n in numbers:
            img = cache.cached_image(out, edition.id, n)
            if n in imaged and not img.is_file():
                log.warning("%s page %d: its page image is missing from the cache (%s), so the outputs have none; "
                            "convert the edition again to redo the page", edition.id, n, img)
            # The page image and the report's thumbnail of it (none from an older version: the report makes it).
            for src in (img, thumbnail_file(img)):
                if src.is_file():
                    dest = staging / "pages" / src.name
                    dest.parent.mkdir(exist_ok=True)
                    try:
                        # A hard link costs no space; the cache replaces its files (new inodes), never edits them.
                        os.link(src, dest)
                    except OSError:
                        atomic_write_bytes(dest, src.read_bytes())
        quality = write_edition(edition, staging, opts)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if final.exists():
        os.replace(final, old)
    os.replace(staging, final)
    shutil.rmtree(old, ignore_errors=True)
    return quality


def rebuild(outdir: str | Path, *, layout: str | None = None, export_options: ExportOptions | None = None,
            editions: Sequence[str] | None = None) -> RunResult:
    """Re-run edition assembly (continuations), exports and reports from the page cache, without OCR."""
    out = Path(outdir)
    result = RunResult()
    with RunLock(out):
        cache.remove_stale_temporaries(out)
        manifest = cache.load_manifest(out)
        ids = sorted(manifest["editions"]) if not editions else list(editions)
        if not ids:
            raise ConfigError(f"{out} holds no converted editions (no manifest.json); run convert first")
        for eid in ids:
            entry = manifest["editions"].get(eid)
            if entry is None:
                raise ConfigError(f"no edition {eid!r} in {out / cache.MANIFEST}")
            if not entry.get("pages"):
                result.editions.append(EditionOutcome(id=eid, outdir=None, status="failure",
                                                      errors=entry.get("errors", [])))
                continue
            data = dict(entry.get("settings") or {})
            if layout:
                data["layout"] = layout
            settings = ConvertSettings(**data)
            oc = _finish_edition(eid, list(entry["pages"]), entry.get("input_errors", []), out, settings,
                                 export_options, manifest, always=True)
            result.editions.append(oc)
        cache.save_manifest(out, manifest)
    return result
