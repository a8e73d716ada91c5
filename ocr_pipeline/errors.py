"""One exception hierarchy. Each class carries its process exit code and a message that says what to do."""

from __future__ import annotations


class OcrPipelineError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class BadInputError(OcrPipelineError):
    """An input file that cannot be read as a page (missing, empty, truncated, not an image, encrypted…)."""

    exit_code = 2


class MissingDependencyError(OcrPipelineError):
    """An optional package or program is not installed; the message names the extra or apt package."""

    exit_code = 3


class EngineError(OcrPipelineError):
    """An OCR engine failed on a page."""

    exit_code = 4


class ExportError(OcrPipelineError):
    """Writing an output (JSON, text, XML, report) failed."""

    exit_code = 5


class ConfigError(OcrPipelineError):
    """A bad option, layout profile or configuration file."""

    exit_code = 6


class BatchError(OcrPipelineError):
    """A batch run cannot start or go on: the output folder is locked by another run, or its cache is unusable."""

    exit_code = 7


# Exit code of a run that finished but where some inputs or pages failed.
EXIT_PARTIAL = 10
# Exit code of a run where an edition's quality score fell below ``convert --fail-under``.
EXIT_QUALITY = 11
