"""Thread pools that belong to the process: started on first use, and started again in a forked child, which
inherits the pool object but not its threads (work given to it there would wait forever)."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor


class ProcessPool:
    """``get()``: this process's pool of ``workers`` threads named ``prefix``-N."""

    def __init__(self, workers: int, prefix: str) -> None:
        self.workers, self.prefix = workers, prefix
        self._pool: tuple[int, ThreadPoolExecutor] | None = None  # the process that started it, and the pool
        self._lock = threading.Lock()

    def get(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None or self._pool[0] != os.getpid():
                self._pool = (os.getpid(), ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix=self.prefix))
            return self._pool[1]


# One thread for OpenCV work run beside the calling thread's Python within a stage (the photos' reduction of
# a page beside the region finder, the smear cue beside the skew searches): OpenCV does not hold the
# interpreter, and the Python work it runs beside does.
BESIDE = ProcessPool(1, "ocr-pipeline-beside")
