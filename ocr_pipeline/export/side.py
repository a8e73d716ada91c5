"""A second process that makes an edition's ALTO files while this one makes the other exports and the report.

ALTO is the largest export to make (a ``Glyph`` element per character: 15 ms a page of the sample editions,
two fifths of all the exports) and it is pure Python, so threads cannot share the work; a process can. The
edition goes over as the JSON that the JSON export makes anyway (``model.to_json_bytes``), which reads back
into an equal edition, so the files are byte for byte those made in this process.

There is one side process per converting process: started on first use (a run starts it as it begins
converting pages, ``prestart``) and ended when the converting process ends or closes its pipe. It is used
only on a machine with two cores or more. If it cannot be started, dies, does not answer in time
(``_REPLY_SECONDS``) or fails for any reason other than a file that cannot be written, the files are made in
the converting process as before: the side process can only make an export faster, never lose it.

Protocol, over the child's stdin and stdout: each message is a 4-byte big-endian length and that many bytes.
A request is two messages (a JSON header ``{"outdir": ...}``, then the edition's JSON); a reply is one
(JSON: ``{"files": [...]}``, or ``{"oserror": [errno, strerror, filename, text]}``, or ``{"error": "..."}``).
"""

from __future__ import annotations

import atexit
import gc
import json
import logging
import os
import signal
import struct
import subprocess
import sys
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ocr_pipeline.util.fs import atomic_write_bytes, writer_pool

if TYPE_CHECKING:
    from ocr_pipeline.model import Edition

log = logging.getLogger(__name__)

_LEN = struct.Struct(">I")
# Seconds the side process may take to answer, plus one per 100 kB of the edition's JSON (it makes an
# edition's ALTO at about 15 ms a page); past that it is stopped and the files are made here.
_REPLY_SECONDS = 120.0


def _send(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_LEN.pack(len(payload)))
    stream.write(payload)


def _recv(stream: IO[bytes]) -> bytes | None:
    """One message, or None at the end of the stream (the other side is gone)."""
    head = stream.read(_LEN.size)
    if len(head) < _LEN.size:
        return None
    (n,) = _LEN.unpack(head)
    data = stream.read(n)
    return data if len(data) == n else None


class _Side:
    """The running side process (one request at a time)."""

    def __init__(self) -> None:
        import ocr_pipeline

        # The child imports this same package, from where this process found it (a checkout on sys.path
        # included), and nothing of the caller's own script.
        root = str(Path(ocr_pipeline.__file__).resolve().parents[1])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen([*_COMMAND], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                     close_fds=True)
        self.lock = threading.Lock()

    def request(self, outdir: Path, data: bytes) -> dict[str, Any] | None:
        """The reply to one request, or None when the process is gone (or was stopped for taking too long:
        ``_REPLY_SECONDS``, far more than any edition takes)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        with self.lock:
            watchdog = threading.Timer(_REPLY_SECONDS + len(data) / 1e5, self.proc.kill)
            watchdog.daemon = True
            watchdog.start()
            try:
                # Absolute: this process may have changed its folder since the child started.
                _send(self.proc.stdin, json.dumps({"outdir": os.path.abspath(outdir)}).encode("utf-8"))
                _send(self.proc.stdin, data)
                self.proc.stdin.flush()
                reply = _recv(self.proc.stdout)
            except (OSError, ValueError):  # a broken pipe: the process died
                return None
            finally:
                watchdog.cancel()
        return json.loads(reply) if reply is not None else None

    def close(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()  # the child ends at the end of its input
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


_COMMAND = (sys.executable, "-m", "ocr_pipeline.export.side")
_SIDE: tuple[int, _Side] | None = None  # the process that started it, and the side process
_SIDE_LOCK = threading.Lock()


_FAILURES = 0  # side processes that went away mid-request; after three, this process makes its ALTO itself
_MAX_FAILURES = 3


def available() -> bool:
    """Whether a side process is worth using here: a second core, an interpreter that can run a module, and
    no side process that kept failing."""
    return ((os.cpu_count() or 1) >= 2 and not getattr(sys, "frozen", False) and bool(sys.executable)
            and _FAILURES < _MAX_FAILURES)


def _side() -> _Side | None:
    global _SIDE
    with _SIDE_LOCK:
        # A forked child shares the parent's pipes: it starts its own side process.
        if _SIDE is None or _SIDE[0] != os.getpid() or _SIDE[1].proc.poll() is not None:
            try:
                _SIDE = (os.getpid(), _Side())
            except OSError as exc:
                log.info("no side process for the ALTO files (%s): they are made in this process", exc)
                return None
        return _SIDE[1]


@atexit.register
def _close() -> None:
    global _SIDE
    with _SIDE_LOCK:
        if _SIDE is not None and _SIDE[0] == os.getpid():
            _SIDE[1].close()
        _SIDE = None


def prestart() -> None:
    """Start the side process now, in a writing thread, so that it is ready when the first edition is written
    (it imports the exporters: about 0.1 s)."""
    if available():
        writer_pool().submit(_side)


def write_alto(edition: Edition, edition_json: bytes, outdir: Path) -> Future[None]:
    """Make and write the ALTO files of ``edition`` (whose ``model.to_json_bytes`` is ``edition_json``) into
    ``outdir``/alto, in the side process; the future is done when they are all in place, and raises the
    OSError of a file that could not be written. If the side process is not there, or fails otherwise, the
    files are made in this process instead (in a writing thread)."""
    return writer_pool().submit(_exchange, edition, edition_json, Path(outdir))


def _exchange(edition: Edition, data: bytes, outdir: Path) -> None:
    global _FAILURES
    side = _side()
    reply = side.request(outdir, data) if side is not None else None
    if reply is not None and "files" in reply:
        return
    if reply is None:
        _FAILURES += 1
    if reply is not None and "oserror" in reply:
        errno, strerror, filename, text = reply["oserror"]
        raise OSError(errno, strerror, filename) if errno is not None else OSError(text)
    log.warning("side process for ALTO files %s; making them in this process",
                f"failed: {reply['error']}" if reply is not None else "is gone")
    from ocr_pipeline.export.alto import alto_files

    # One by one: this runs in a writing thread, which must not wait for the others.
    for path, doc in alto_files(edition, outdir):
        atomic_write_bytes(path, doc)


# --- the side process ------------------------------------------------------------------------------------

def main() -> int:
    from ocr_pipeline.export._common import write_files
    from ocr_pipeline.export.alto import alto_files
    from ocr_pipeline.model import loads

    # Ctrl-C reaches the whole process group: the parent decides, and ends this process by closing its input.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    inp = sys.stdin.buffer
    # Replies go to the pipe the parent reads; anything printed by accident goes to stderr instead.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    while True:
        header = _recv(inp)
        data = _recv(inp) if header is not None else None
        if header is None or data is None:
            return 0
        outdir = Path(json.loads(header)["outdir"])
        reply: dict[str, Any]
        # Without the cycle collector while an edition is read back and written: a hundred thousand objects
        # that hold no cycles, which it would walk again and again (5 of the 17 ms reading a sample edition
        # back). They go with their last reference, before the next request.
        gc.disable()
        try:
            reply = {"files": [str(p) for p in write_files(alto_files(loads(data), outdir))]}
        except OSError as exc:
            reply = {"oserror": [exc.errno, exc.strerror, exc.filename, str(exc)]}
        except Exception as exc:  # reported: the parent makes the files itself
            reply = {"error": repr(exc)}
        finally:
            gc.enable()
        _send(out, json.dumps(reply).encode("utf-8"))
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
