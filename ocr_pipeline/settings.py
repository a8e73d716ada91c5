"""Conversion settings: one dataclass that validates itself."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ocr_pipeline.errors import ConfigError

LANGUAGES = ("zh", "en", "de", "fr", "ja", "ko")


@dataclass(slots=True)
class ConvertSettings:
    engine: str = "ppocr"
    lang: str = "zh"
    dpi: int = 300
    threads: int | None = None
    device: str = "cpu"
    model_dir: str | None = None
    layout: str = "generic"
    # Use a PDF's text layer instead of OCR when it has one.
    use_text_layer: bool = True
    deskew: bool = True
    orientation: bool = True
    normalize: bool = True
    # Refuse images above this many pixels (decompression bombs); a 300 dpi broadsheet is ~54 Mpx.
    max_pixels: int = 200_000_000
    engine_extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from ocr_pipeline.engines import REGISTRY

        if self.engine not in REGISTRY:
            raise ConfigError(f"unknown engine {self.engine!r}; choose one of: {', '.join(REGISTRY)}")
        if not self.lang or not self.lang.replace("-", "").replace("_", "").isalnum():
            raise ConfigError(f"bad --lang {self.lang!r}; use a language code such as zh or en")
        if not 50 <= self.dpi <= 1200:
            raise ConfigError(f"--dpi {self.dpi} is out of range; use 50 to 1200 (300 is usual for newsprint)")
        if self.threads is not None and self.threads < 1:
            raise ConfigError("--threads must be at least 1")
        if self.device not in ("cpu", "cuda"):
            raise ConfigError(f"--device {self.device!r}: use cpu or cuda")
        if self.max_pixels < 1_000_000:
            raise ConfigError("max_pixels must be at least 1,000,000")
        from ocr_pipeline.profiles import load_profile

        load_profile(self.layout)  # a missing or broken profile is an error before any page is read

    @property
    def script(self) -> str:
        """"cjk" for Chinese, Japanese and Korean (joined without spaces), else "latin"."""
        return "cjk" if self.lang.split("-")[0] in ("zh", "ja", "ko") else "latin"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
