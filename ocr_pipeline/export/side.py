"""A second process that makes an edition's ALTO files while this one makes the other exports and the report.

ALTO is the largest export to make (a ``Glyph`` element per character: 15 ms a page of the sample editions,
two fifths of all the exports) and it is pure Python, so threads cannot share the work; a process can. The
edition goes over as the JSON that the JSON export makes anyway (``model.to_json_bytes``), which reads back
into an equal edition, so the files are byte for byte those made in this process.

The side process makes the pages from the first on; this process, once it has made everything else, makes
them from the last back (``AltoRequest.help``), so that neither waits for the other while pages are left.
Each page goes to whoever claims it first: a claim is a symbolic link in a folder of the request's, which
the file system creates for one of the two only.

There is one side process per converting process: started on first use (a run starts it as it begins
converting pages, ``prestart``) and ended when the converting process ends or closes its pipe. It is used
only on a machine with two cores or more. If it cannot be started, dies, does not answer in time
(``_REPLY_SECONDS``) or fails for any reason other than a file that cannot be written, the files are made in
the converting process as before: the side process can only make an export faster, never lose it.

Protocol, over the child's stdin and stdout: each message is a 4-byte big-endian length and that many bytes.
A request is two messages (a JSON header ``{"outdir": ..., "claims": ...}``, then the edition's JSON); a
reply is one (JSON: ``{"files": [...]}``, or ``{"oserror": [errno, strerror, filename, text]}``, or
``{"error": "..."}``).
"""

from __future__ import annotations

import atexit
import gc
import json
import logging
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ocr_pipeline.util.fs import atomic_write_bytes, writer_pool

if TYPE_CHECKING:
    from ocr_pipeline.model import Edition

log = logging.getLogger(__name__)

_LEN = struct.Struct(">I")
# Seconds the side process may take to take a request and answer it, plus one per 100 kB of the edition's
# JSON (it makes an edition's ALTO at about 15 ms a page); past that it is stopped and the files are made here.
_REPLY_SECONDS = 120.0


def _send(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_LEN.pack(len(payload)))
    stream.write(payload)


def _read(stream: IO[bytes], n: int) -> bytes:
    """``n`` bytes, fewer only at the end of the stream (an unbuffered pipe gives what has arrived)."""
    chunks = []
    while n > 0 and (chunk := stream.read(n)):
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _recv(stream: IO[bytes]) -> bytes | None:
    """One message, or None at the end of the stream (the other side is gone)."""
    head = _read(stream, _LEN.size)
    if len(head) < _LEN.size:
        return None
    (n,) = _LEN.unpack(head)
    data = _read(stream, n)
    return data if len(data) == n else None


def _ready(fd: int, event: int, deadline: float) -> bool:
    """Wait until ``fd`` is ready for ``event`` (select.POLLIN or POLLOUT), or ``deadline`` has passed."""
    poller = select.poll()
    poller.register(fd, event)
    while (left := deadline - time.monotonic()) > 0:
        if poller.poll(left * 1000):
            return True
    return False


def _claim(claims: Path, index: int, owner: str) -> str | None:
    """Claim page ``index`` of a request for ``owner``: None when it is now the owner's, else who has it ("" when
    the request is over and its claims are gone)."""
    link = claims / str(index)
    try:
        os.symlink(owner, link)
        return None
    except FileExistsError:
        try:
            return os.readlink(link)
        except OSError:
            return ""
    except OSError:
        return ""


class _Side:
    """The running side process. One request at a time: ``lock`` is held from a request's sending to its reply."""

    def __init__(self) -> None:
        import ocr_pipeline

        root = str(Path(ocr_pipeline.__file__).resolve().parents[1])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        self.proc = subprocess.Popen([*_COMMAND], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                     close_fds=True, bufsize=0)
        assert self.proc.stdin is not None
        # Written without blocking: a side process that stopped reading cannot hold this one up.
        os.set_blocking(self.proc.stdin.fileno(), False)
        self.lock = threading.Lock()

    def send(self, header: dict[str, Any], data: bytes) -> float | None:
        """Send a request (in the caller's thread: no thread to wake, the side process starts at once); the
        deadline for its reply, or None when the process is gone or does not take it in time (the lock is then
        released: there is no reply to wait for)."""
        assert self.proc.stdin is not None
        deadline = time.monotonic() + _REPLY_SECONDS + len(data) / 1e5
        head = json.dumps(header).encode("utf-8")
        message = memoryview(b"".join([_LEN.pack(len(head)), head, _LEN.pack(len(data)), data]))
        fd = self.proc.stdin.fileno()
        self.lock.acquire()
        try:
            while message:
                if not _ready(fd, select.POLLOUT, deadline):
                    raise TimeoutError
                try:
                    message = message[os.write(fd, message):]
                except BlockingIOError:
                    continue
        except BaseException as exc:
            # A broken pipe (the process died), no room for too long, or an interruption: a request half sent
            # would be read with the next one, so the process goes, and the next request starts another.
            self._stop()
            self.lock.release()
            if isinstance(exc, (OSError, ValueError)):
                return None
            raise
        return deadline

    def reply(self, deadline: float) -> dict[str, Any] | None:
        """The reply to the request sent (``send``), or None when the process is gone or past ``deadline``
        (far more than any edition takes; it is then stopped). Releases the lock."""
        assert self.proc.stdout is not None
        try:
            if not _ready(self.proc.stdout.fileno(), select.POLLIN, deadline):
                self._stop()
                return None
            data = _recv(self.proc.stdout)
            if data is None:  # it went without a reply
                self._stop()
        except (OSError, ValueError):
            self._stop()
            return None
        finally:
            self.lock.release()
        return json.loads(data) if data is not None else None

    def _stop(self) -> None:
        """Kill the process, and wait until it is gone: it writes nothing after this returns."""
        self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log.warning("side process %d does not end after SIGKILL", self.proc.pid)

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


class AltoRequest:
    """The ALTO files of one edition, being made by the side process (``write_alto``)."""

    def __init__(self, edition: Edition, outdir: Path) -> None:
        self.edition = edition
        self.outdir = outdir
        try:
            self.claims = Path(tempfile.mkdtemp(prefix="ocr-pipeline-alto-"))
        except OSError:  # no room or no right in the temporary folder: in the output folder, for the time of it
            self.outdir.mkdir(parents=True, exist_ok=True)
            self.claims = Path(tempfile.mkdtemp(prefix=".alto-claims-", dir=self.outdir))

    def _write_page(self, index: int) -> None:
        from ocr_pipeline.export.alto import alto_file

        atomic_write_bytes(*alto_file(self.edition, self.edition.pages[index], self.outdir))

    def help(self) -> None:
        """Make the pages the side process has not begun, from the last back, here (in the caller's thread,
        which has nothing else to do: it would wait for them)."""
        for index in reversed(range(len(self.edition.pages))):
            if _claim(self.claims, index, "help") is not None:
                return  # the side process has it, and every page before it
            self._write_page(index)

    def finish(self, side: _Side | None, deadline: float | None) -> None:
        """Wait for the side process's reply (in a writing thread); if it failed, make its pages here."""
        global _FAILURES
        try:
            reply = side.reply(deadline) if side is not None and deadline is not None else None
            if reply is not None and "files" in reply:
                return
            if reply is None and side is not None:
                _FAILURES += 1
            if reply is not None and "oserror" in reply:
                errno, strerror, filename, text = reply["oserror"]
                raise OSError(errno, strerror, filename) if errno is not None else OSError(text)
            if side is not None:
                log.warning("side process for ALTO files %s; making them in this process",
                            f"failed: {reply['error']}" if reply is not None else "is gone")
            # Every page but those ``help`` makes: the side process may not have written those it claimed, and
            # one it was writing as it went is left under a temporary name, removed here.
            from ocr_pipeline.export.alto import alto_path

            for index, page in enumerate(self.edition.pages):
                if _claim(self.claims, index, "here") != "help":
                    path = alto_path(self.outdir, page)
                    for half in path.parent.glob(f".{path.name}.*.tmp"):
                        half.unlink(missing_ok=True)
                    self._write_page(index)
        finally:
            shutil.rmtree(self.claims, ignore_errors=True)


def write_alto(edition: Edition, edition_json: bytes, outdir: Path) -> tuple[Future[None], AltoRequest]:
    """Start making the ALTO files of ``edition`` (whose ``model.to_json_bytes`` is ``edition_json``) in
    ``outdir``/alto in the side process. The future is done when they are all in place, and raises the OSError
    of a file that could not be written; the request's ``help`` makes pages here meanwhile. If the side process
    is not there, or fails otherwise, the files are made in this process instead (in a writing thread, and in
    ``help``)."""
    request = AltoRequest(edition, Path(outdir))
    side = _side()
    # Absolute: this process may change its folder before the side process writes.
    header = {"outdir": os.path.abspath(outdir), "claims": str(request.claims)}
    deadline = side.send(header, edition_json) if side is not None else None
    return writer_pool().submit(request.finish, side, deadline), request


# --- the side process ------------------------------------------------------------------------------------

def _make(data: bytes, outdir: Path, claims: Path) -> list[Path]:
    """Make and write the pages of the edition in ``data`` from the first on, while they can be claimed."""
    from ocr_pipeline.export.alto import alto_file
    from ocr_pipeline.model import loads
    from ocr_pipeline.util.fs import PendingWrites

    edition = loads(data)
    writes = PendingWrites()  # each file is written while the next page is made
    files = []
    try:
        for index, page in enumerate(edition.pages):
            if _claim(claims, index, "side") is not None:
                break  # this one and the rest are made by the converting process
            path, doc = alto_file(edition, page, outdir)
            writes.write(path, doc)
            files.append(path)
    finally:
        writes.wait()
    return files


def main() -> int:
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
        head = json.loads(header)
        reply: dict[str, Any]
        # Without the cycle collector while an edition is read back and written: a hundred thousand objects
        # that hold no cycles, which it would walk again and again (5 of the 17 ms reading a sample edition
        # back). They go with their last reference, before the next request.
        gc.disable()
        try:
            reply = {"files": [str(p) for p in _make(data, Path(head["outdir"]), Path(head["claims"]))]}
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
