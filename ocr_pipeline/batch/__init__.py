"""Batch conversion: many editions, pages in parallel worker processes, resumable, one run per folder.

``run_batch`` is what ``ocr-pipeline convert`` runs; ``rebuild`` re-assembles editions from the page cache
(``ocr-pipeline rebuild``). See :mod:`ocr_pipeline.batch.cache` for what is cached and how a re-run decides
what to redo.
"""

from __future__ import annotations

from ocr_pipeline.batch.lock import RunLock
from ocr_pipeline.batch.runner import (
    EXIT_INTERRUPTED,
    BatchOptions,
    BatchResult,
    PageEvent,
    rebuild,
    run_batch,
)

__all__ = ["EXIT_INTERRUPTED", "BatchOptions", "BatchResult", "PageEvent", "RunLock", "rebuild", "run_batch"]
