"""Engine registry: engines are registered by name and imported only when used."""

from __future__ import annotations

import importlib

from ocr_pipeline.engines.base import EngineInfo, EngineOptions, OcrEngine
from ocr_pipeline.errors import ConfigError

# name -> "module:Class". Text-source engines ("pdf-text", "import") read text instead of images.
REGISTRY: dict[str, str] = {
    "ppocr": "ocr_pipeline.engines.ppocr:PPOCREngine",
    "paddleocr": "ocr_pipeline.engines.paddle:PaddleOCREngine",
    "tesseract": "ocr_pipeline.engines.tesseract:TesseractEngine",
    "pdf-text": "ocr_pipeline.engines.textsource:PdfTextEngine",
    "import": "ocr_pipeline.engines.textsource:ImportEngine",
}

DEFAULT_ENGINE = "ppocr"


def engine_class(name: str) -> type[OcrEngine]:
    try:
        target = REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown engine {name!r}; choose one of: {', '.join(REGISTRY)}") from None
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls)  # type: ignore[no-any-return]


def create_engine(name: str, options: EngineOptions | None = None) -> OcrEngine:
    return engine_class(name)(options)


def list_engines() -> list[EngineInfo]:
    out = []
    for name in REGISTRY:
        try:
            out.append(engine_class(name).info())
        except Exception as exc:  # an engine that cannot even describe itself is listed as unavailable
            out.append(EngineInfo(name=name, available=False, reason=str(exc)))
    return out


__all__ = ["EngineInfo", "EngineOptions", "OcrEngine", "REGISTRY", "DEFAULT_ENGINE", "create_engine", "list_engines"]
