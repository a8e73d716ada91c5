"""ocr-pipeline: printed newspapers to digital articles.

Heavy modules (OCR engines, image libraries) are imported lazily so that ``import ocr_pipeline`` and
``ocr-pipeline --help`` stay fast.
"""

from __future__ import annotations

__version__ = "0.1.0"
