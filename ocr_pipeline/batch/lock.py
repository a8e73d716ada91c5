"""One run per output folder: ``OUT/.ocr-pipeline.lock``, created with O_EXCL.

Two runs writing the same editions would interleave their files; the second run is refused instead. A lock
left by a run that was killed (its pid is gone on this host) is taken over with a warning.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

from ocr_pipeline.errors import BatchError

log = logging.getLogger(__name__)

LOCK_NAME = ".ocr-pipeline.lock"
# A lock file that is empty or unreadable is being written by a run that is starting right now, unless it
# is older than this (then its writer died between creating and filling it).
_UNREADABLE_GRACE_S = 30.0


@dataclass(slots=True)
class LockInfo:
    pid: int
    host: str
    started: str  # ISO time, for the message only


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    # A zombie (exited, not yet reaped by its parent) still answers kill 0 but holds nothing.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def read_lock(path: Path) -> LockInfo | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return LockInfo(pid=int(data["pid"]), host=str(data["host"]), started=str(data.get("started", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


class RunLock:
    """Context manager holding ``OUT/.ocr-pipeline.lock`` for the duration of a run."""

    def __init__(self, outdir: str | Path) -> None:
        self.outdir = Path(outdir)
        self.path = self.outdir / LOCK_NAME
        self.held = False

    def acquire(self) -> RunLock:
        self.outdir.mkdir(parents=True, exist_ok=True)
        host = socket.gethostname()
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if self._stale(host):
                    continue
                raise
            info = {"pid": os.getpid(), "host": host,
                    "started": datetime.now(timezone.utc).replace(microsecond=0).isoformat()}
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(info, fh)
                fh.flush()
                os.fsync(fh.fileno())
            self.held = True
            return self
        raise BatchError(f"cannot take the lock {self.path}; remove it if no conversion is running")

    def _stale(self, host: str) -> bool:
        """True when the existing lock was removed as stale; raises when a live run holds it."""
        info = read_lock(self.path)
        if info is None:
            try:
                age = time.time() - self.path.stat().st_mtime
            except FileNotFoundError:
                return True  # released meanwhile: try again
            if age < _UNREADABLE_GRACE_S:
                raise BatchError(f"another conversion is starting to write to {self.outdir}; wait for it or use "
                                 "another -o folder")
            log.warning("removing an unreadable lock %s left by a run that died while starting", self.path)
        elif info.host == host and not _pid_alive(info.pid):
            log.warning("taking over the lock of a conversion that is gone (pid %d, started %s) in %s",
                        info.pid, info.started, self.outdir)
        else:
            where = "" if info.host == host else f" on {info.host}"
            raise BatchError(
                f"another conversion (pid {info.pid}{where}, started {info.started}) is writing to {self.outdir}; "
                f"wait for it or use another -o folder (remove {self.path} if that run is certainly gone)"
            )
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        return True

    def release(self) -> None:
        if not self.held:
            return
        info = read_lock(self.path)
        # Only our own lock is removed: a lock taken over after ours was (wrongly) judged stale stays.
        if info is None or info.pid == os.getpid():
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
        self.held = False

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
