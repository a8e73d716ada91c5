"""Safe file writing: every output goes to a temporary name in the same folder and is renamed into place,
so a killed run never leaves a half-written file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from ocr_pipeline.util.threads import ProcessPool

# mkstemp creates files readable by their owner only; outputs get the usual mode (0644 under umask 022).
# The umask is read once, at import, while nothing else runs.
_UMASK = os.umask(0)
os.umask(_UMASK)
_MODE = 0o666 & ~_UMASK


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), _MODE)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


# The process's file-writing threads (eight started for each export cost 2-3 ms a page of the sample editions).
_WRITERS = ProcessPool(8, "ocr-pipeline-writer")


def writer_pool() -> ThreadPoolExecutor:
    """The process's file-writing threads, started on first use (a forked child starts its own)."""
    return _WRITERS.get()


def write_file(path: Path, data: bytes | Callable[[], bytes | None], pending: PendingWrites | None = None) -> None:
    """Write ``data`` to ``path`` atomically, now or, with ``pending``, in the writing threads. A callable gives
    the bytes when the file is written (None: no file)."""
    if pending is None:
        _write_deferred(Path(path), data)
    else:
        pending.write(path, data)


class PendingWrites:
    """Files written atomically in the writing threads while the caller goes on; ``wait`` returns once all
    are in place and raises the first error (an OSError as the write raised it).

    The writes themselves and their fsync do not hold the interpreter, so they overlap the caller's Python
    work instead of keeping it waiting."""

    def __init__(self) -> None:
        self._futures: list[Future[None]] = []
        self._helpers: list[Callable[[], None]] = []

    def write(self, path: Path, data: bytes | Callable[[], bytes | None]) -> None:
        """Write ``data`` to ``path``; a callable is called in the writing thread for the bytes (None: no file),
        for data still being made elsewhere (a page's JPEG, encoded in the pipeline's helper thread)."""
        self._futures.append(writer_pool().submit(_write_deferred, Path(path), data))

    def add(self, future: Future[None], helper: Callable[[], None] | None = None) -> None:
        """Wait for ``future`` too (work of the same kind done elsewhere: the side process's ALTO files).
        ``helper``: called by ``wait`` in the waiting thread before it waits, to take over the part of that work
        not yet begun (the thread has nothing else to do); an error it raises is raised as a write's is."""
        self._futures.append(future)
        if helper is not None:
            self._helpers.append(helper)

    def __len__(self) -> int:
        return len(self._futures)

    def wait(self) -> None:
        futures, self._futures = self._futures, []
        helpers, self._helpers = self._helpers, []
        error: BaseException | None = None
        for helper in helpers:
            try:
                helper()
            except Exception as failed:
                error = error or failed
        for f in futures:  # every write is waited for, so none is still running when this returns
            exc = f.exception()
            if exc is not None and error is None:
                error = exc
        if error is not None:
            raise error


def _write_deferred(path: Path, data: bytes | Callable[[], bytes | None]) -> None:
    payload = data() if callable(data) else data
    if payload is not None:
        atomic_write_bytes(path, payload)
