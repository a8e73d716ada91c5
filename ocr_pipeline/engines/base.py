"""The engine protocol: every OCR engine returns lines with text, box/polygon, confidence
(and character or word boxes where it has them), in page pixels."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ocr_pipeline.model import BBox, Line, ProcessingStep

if TYPE_CHECKING:
    import numpy as np


@dataclass(slots=True)
class EngineInfo:
    name: str
    available: bool
    version: str = ""
    models: list[str] = field(default_factory=list)
    reason: str = ""  # why it is not available, and what to install
    description: str = ""


@dataclass(slots=True)
class EngineOptions:
    """Options every engine accepts; engines ignore what does not apply to them."""

    lang: str = "zh"
    threads: int | None = None  # intra-op threads; None = engine default
    device: str = "cpu"  # "cpu" | "cuda"
    model_dir: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class OcrEngine:
    """Base class of image engines. Subclasses set ``name`` and implement ``info`` and ``recognize``.

    Heavy imports belong inside ``__init__``/``recognize`` so that listing engines stays cheap; a missing
    optional dependency raises ``MissingDependencyError`` naming the extra to install.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    needs_image: ClassVar[bool] = True

    def __init__(self, options: EngineOptions | None = None) -> None:
        self.options = options or EngineOptions()

    @classmethod
    def info(cls) -> EngineInfo:
        raise NotImplementedError

    def recognize(self, image: np.ndarray, *, regions: list[BBox] | None = None) -> list[Line]:
        """OCR an 8-bit grayscale or BGR page image.

        ``regions``: page rectangles (e.g. columns) to detect text in separately, so that no line crosses
        a region border; ``None`` means the whole page. Returned lines have page coordinates and empty ids
        (the pipeline numbers them).
        """
        raise NotImplementedError

    @functools.cached_property
    def _info(self) -> EngineInfo:
        """``info()`` looked up once per engine, not once per page: it reads package metadata."""
        return self.info()

    def provenance(self) -> ProcessingStep:
        inf = self._info
        return ProcessingStep(
            stage="ocr",
            name=self.name,
            version=inf.version,
            model=", ".join(inf.models),
            settings={"lang": self.options.lang, "threads": self.options.threads, "device": self.options.device},
        )
